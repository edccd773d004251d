// Lookups shared by the production screens: folders of either kind (the pickers), data
// extensions by search (the target picker).
import { graphql } from "../../gql";

export const ProductionFoldersQuery = graphql(`
  query ProductionFolders($contentType: FolderContentType!, $parentId: ID, $after: String) {
    folders(contentType: $contentType, parentId: $parentId, first: 100, after: $after) {
      edges { node { id name shared } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const ProductionTargetSearchQuery = graphql(`
  query ProductionTargetSearch($query: String!) {
    searchDataExtensions(query: $query, first: 12, hideLeftovers: true) {
      edges {
        node {
          matchedOn
          dataExtension { id name customerKey shared fieldCount folder { name } }
        }
      }
    }
  }
`);
