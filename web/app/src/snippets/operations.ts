import { graphql } from "../gql";

// Lists carry no SQL: a library level or a search shows titles; a snippet's SQL is read when it
// is opened (its history only then too: the API serves history for one snippet at a time).
// What a list shows of a snippet, a snippet with its SQL, and a folder are one fragment each,
// spread into every operation that reads them (api.ts's types are the fragments' types).

export const SnippetItemFields = graphql(`
  fragment SnippetItem on Snippet { id title folderId version updatedAt }
`);

export const SnippetContentFields = graphql(`
  fragment SnippetContent on Snippet { ...SnippetItem sql }
`);

export const SnippetFolderFields = graphql(`
  fragment SnippetFolderItem on SnippetFolder { id name parentId }
`);

export const SnippetFoldersQuery = graphql(`
  query SnippetFolders($parentId: ID, $after: String) {
    snippetFolders(parentId: $parentId, first: 100, after: $after) {
      edges { node { ...SnippetFolderItem } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const SnippetsQuery = graphql(`
  query Snippets($folderId: ID, $search: String, $after: String) {
    snippets(folderId: $folderId, search: $search, first: 100, after: $after) {
      edges { node { ...SnippetItem description tags } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const SnippetQuery = graphql(`
  query Snippet($id: ID!) {
    snippet(id: $id) { ...SnippetContent }
  }
`);

export const SnippetHistoryQuery = graphql(`
  query SnippetHistory($id: ID!) {
    snippet(id: $id) {
      id title sql version
      history(first: 50) {
        edges { node { version title sql createdAt } }
      }
    }
  }
`);

export const DeletedSnippetsQuery = graphql(`
  query DeletedSnippets($after: String) {
    deletedSnippets(first: 100, after: $after) {
      edges { node { id title folderId version deletedAt purgeAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const CreateSnippetMutation = graphql(`
  mutation CreateSnippet($input: CreateSnippetInput!) {
    createSnippet(input: $input) {
      snippet { ...SnippetContent }
      userErrors { code message field }
    }
  }
`);

export const UpdateSnippetMutation = graphql(`
  mutation UpdateSnippet($input: UpdateSnippetInput!) {
    updateSnippet(input: $input) {
      snippet { ...SnippetContent }
      userErrors { code message field }
    }
  }
`);

export const RenameSnippetMutation = graphql(`
  mutation RenameSnippet($input: RenameSnippetInput!) {
    renameSnippet(input: $input) {
      snippet { ...SnippetItem }
      userErrors { code message field }
    }
  }
`);

export const MoveSnippetMutation = graphql(`
  mutation MoveSnippet($input: MoveSnippetInput!) {
    moveSnippet(input: $input) {
      snippet { id folderId version }
      userErrors { code message field }
    }
  }
`);

export const DuplicateSnippetMutation = graphql(`
  mutation DuplicateSnippet($input: DuplicateSnippetInput!) {
    duplicateSnippet(input: $input) {
      snippet { ...SnippetItem }
      userErrors { code message field }
    }
  }
`);

export const DeleteSnippetMutation = graphql(`
  mutation DeleteSnippet($id: ID!) {
    deleteSnippet(input: { id: $id }) {
      snippet { id title folderId purgeAt }
      userErrors { code message field }
    }
  }
`);

export const RestoreSnippetMutation = graphql(`
  mutation RestoreSnippet($id: ID!) {
    restoreSnippet(input: { id: $id }) {
      snippet { id title folderId version }
      userErrors { code message field }
    }
  }
`);

export const RestoreSnippetVersionMutation = graphql(`
  mutation RestoreSnippetVersion($input: RestoreSnippetVersionInput!) {
    restoreSnippetVersion(input: $input) {
      snippet { ...SnippetContent }
      userErrors { code message field }
    }
  }
`);

export const CreateSnippetFolderMutation = graphql(`
  mutation CreateSnippetFolder($input: CreateSnippetFolderInput!) {
    createSnippetFolder(input: $input) {
      snippetFolder { ...SnippetFolderItem }
      userErrors { code message field }
    }
  }
`);

export const RenameSnippetFolderMutation = graphql(`
  mutation RenameSnippetFolder($input: RenameSnippetFolderInput!) {
    renameSnippetFolder(input: $input) {
      snippetFolder { ...SnippetFolderItem }
      userErrors { code message field }
    }
  }
`);

export const MoveSnippetFolderMutation = graphql(`
  mutation MoveSnippetFolder($input: MoveSnippetFolderInput!) {
    moveSnippetFolder(input: $input) {
      snippetFolder { ...SnippetFolderItem }
      userErrors { code message field }
    }
  }
`);

export const DeleteSnippetFolderMutation = graphql(`
  mutation DeleteSnippetFolder($id: ID!) {
    deleteSnippetFolder(input: { id: $id }) {
      snippetFolder { ...SnippetFolderItem }
      userErrors { code message field }
    }
  }
`);
