import { graphql } from "../gql";

export const SearchDataExtensionsQuery = graphql(`
  query SearchDataExtensions($query: String!) {
    searchDataExtensions(query: $query, first: 20, hideLeftovers: true) {
      edges {
        node {
          name matchedOn matchedText quality
          highlights { start end }
          dataExtension { id name sqlName customerKey }
          dataView { name }
        }
      }
    }
  }
`);

export const FoldersQuery = graphql(`
  query Folders($contentType: FolderContentType!, $parentId: ID, $after: String) {
    folders(contentType: $contentType, parentId: $parentId, first: 100, after: $after) {
      edges { node { id name shared } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const FolderDataExtensionsQuery = graphql(`
  query FolderDataExtensions($folderId: ID!, $after: String) {
    dataExtensions(folderId: $folderId, first: 100, after: $after, hideLeftovers: true) {
      edges { node { id name sqlName customerKey } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const FolderQueryActivitiesQuery = graphql(`
  query FolderQueryActivities($folderId: ID!, $after: String) {
    queryActivities(folderId: $folderId, first: 100, after: $after, hideLeftovers: true) {
      edges { node { id name customerKey targetName updateType } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const QueryActivitySqlQuery = graphql(`
  query QueryActivitySql($key: String!) {
    queryActivity(key: $key) { name sql }
  }
`);

export const DataExtensionDetailsQuery = graphql(`
  query DataExtensionDetails($key: String!) {
    dataExtension(key: $key) {
      id name sqlName customerKey description shared isSendable fieldCount
      fields { name fieldType maxLength precision scale isPrimaryKey isRequired ordinal }
      rowCount { count countedAt }
    }
  }
`);

export const DataExtensionPreviewQuery = graphql(`
  query DataExtensionPreview($key: String!) {
    dataExtension(key: $key) {
      rows(first: 20) { fields { name fieldType } rows totalRows }
    }
  }
`);

export const DataViewsQuery = graphql(`
  query DataViews {
    dataViews { name description columns { name fieldType maxLength } }
  }
`);

export const MetadataSyncSubscription = graphql(`
  subscription MetadataSync {
    metadataSync {
      state phase message
      dataExtensionsDone dataExtensionsTotal foldersDone foldersTotal
      queryActivitiesDone queryActivitiesTotal lastSuccessAt
    }
  }
`);

export const RefreshMetadataMutation = graphql(`
  mutation RefreshMetadata {
    refreshMetadata(input: { full: false }) {
      sync { state phase message }
      userErrors { code message }
    }
  }
`);
