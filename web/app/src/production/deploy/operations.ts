import { graphql } from "../../gql";

export const DeployMutation = graphql(`
  mutation Deploy($input: DeployQueryActivityInput!) {
    deployQueryActivity(input: $input) {
      deployment { id status mids }
      replayed
      findings {
        mid code severity message column suggestion mceMessage
        range { start end line column endLine endColumn }
      }
      userErrors { code field message }
    }
  }
`);

export const RetryDeploymentMutation = graphql(`
  mutation RetryDeployment($id: ID!, $force: Boolean!) {
    retryDeployment(input: { id: $id, force: $force }) {
      deployment { id status attempts }
      userErrors { code field message }
    }
  }
`);

export const DeleteOrphanMutation = graphql(`
  mutation DeleteOrphan($deploymentId: ID!, $mid: String!) {
    deleteOrphanedDataExtension(input: { deploymentId: $deploymentId, mid: $mid }) {
      businessUnit { mid orphanedDataExtension { key name } }
      userErrors { code field message }
    }
  }
`);

export const DeploymentProgressSubscription = graphql(`
  subscription DeploymentProgress($id: ID!, $after: String) {
    deploymentProgress(id: $id, after: $after) {
      cursor kind mid step status message code final attempt objectId created changes at
    }
  }
`);
