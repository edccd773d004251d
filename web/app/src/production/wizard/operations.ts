import { graphql } from "../../gql";

export const ProposeTargetQuery = graphql(`
  query ProposeTarget($sql: String!, $name: String) {
    proposeTargetDataExtension(sql: $sql, name: $name) {
      proposal {
        mid name nameReason customerKey customerKeyReason
        folder { id name } folderReason
        fields { name fieldType length precision scale nullable isPrimaryKey reason }
        primaryKey { fields reason }
        sendable { enabled field relationship reason }
        retention {
          suggested { length unit mode resetOnImport }
          reason
          options { setting { length unit mode resetOnImport } reason }
        }
        warnings { code field message }
      }
      findings {
        code severity message suggestion
        range { start end line column endLine endColumn }
      }
      userErrors { code field message }
    }
  }
`);

export const CreateTargetMutation = graphql(`
  mutation CreateTarget($input: CreateTargetDataExtensionInput!) {
    createTargetDataExtension(input: $input) {
      dataExtension {
        id mid name customerKey objectId folderId shared isSendable
        fields { name fieldType length precision scale isRequired isPrimaryKey }
      }
      replayed recovered
      warnings { code field message }
      userErrors { code field message }
    }
  }
`);
