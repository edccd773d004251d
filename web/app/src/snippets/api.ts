// The snippet library's calls to the API, typed from the schema: one function per operation,
// each answering a Result (the payload's first user error, or the value) so callers never read
// GraphQL payloads. Transport failures still throw an ApiProblem (api/http.ts).
import { request } from "../api/http";
import type {
  SnippetContentFragment,
  SnippetFolderItemFragment,
  SnippetItemFragment,
} from "../gql/graphql";
import {
  CreateSnippetFolderMutation,
  CreateSnippetMutation,
  DeletedSnippetsQuery,
  DeleteSnippetFolderMutation,
  DeleteSnippetMutation,
  DuplicateSnippetMutation,
  MoveSnippetFolderMutation,
  MoveSnippetMutation,
  RenameSnippetFolderMutation,
  RenameSnippetMutation,
  RestoreSnippetMutation,
  RestoreSnippetVersionMutation,
  SnippetFoldersQuery,
  SnippetHistoryQuery,
  SnippetQuery,
  SnippetsQuery,
  UpdateSnippetMutation,
} from "./operations";

/** A folder of the library (operations.ts's SnippetFolderItem fragment). */
export type FolderItem = SnippetFolderItemFragment;

/** A snippet as a library level or a search lists it (the SnippetItem fragment). */
export type SnippetItem = SnippetItemFragment;

/** A snippet with its SQL (the SnippetContent fragment). */
export type SnippetContent = SnippetContentFragment;

export interface TrashItem {
  id: string;
  title: string;
  deletedAt: string | null;
  purgeAt: string | null;
}

export interface Version {
  version: number;
  title: string;
  sql: string;
  createdAt: string;
}

export interface Level {
  folders: FolderItem[];
  snippets: SnippetItem[];
}

export interface UserErrorLike {
  code: string;
  message: string;
  field: string | null;
}

export type Result<T> =
  | { ok: true; value: T }
  | { ok: false; code: string; message: string; field: string | null };

/** The answer of a mutation payload: its first user error, else the value it carries. */
export function outcome<T>(
  value: T | null | undefined,
  userErrors: readonly UserErrorLike[],
): Result<T> {
  const first = userErrors[0];
  if (first) return { ok: false, code: first.code, message: first.message, field: first.field };
  if (value === null || value === undefined) {
    return { ok: false, code: "NOT_FOUND", message: "That is not in your library.", field: null };
  }
  return { ok: true, value };
}

/** Every page of a connection (a user's library is bounded: 5,000 snippets, 1,000 folders). */
async function all<N>(
  page: (after: string | null) => Promise<{
    edges: { node: N }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  }>,
): Promise<N[]> {
  const nodes: N[] = [];
  let after: string | null = null;
  for (;;) {
    const connection = await page(after);
    nodes.push(...connection.edges.map((e) => e.node));
    if (!connection.pageInfo.hasNextPage || !connection.pageInfo.endCursor) return nodes;
    after = connection.pageInfo.endCursor;
  }
}

export interface LibraryApi {
  level(folderId: string | null): Promise<Level>;
  search(text: string): Promise<SnippetItem[]>;
  trash(): Promise<TrashItem[]>;
  createFolder(name: string, parentId: string | null): Promise<Result<FolderItem>>;
  renameFolder(id: string, name: string): Promise<Result<FolderItem>>;
  moveFolder(id: string, parentId: string | null): Promise<Result<FolderItem>>;
  deleteFolder(id: string): Promise<Result<FolderItem>>;
  renameSnippet(
    id: string,
    title: string,
    expectedVersion: number | null,
  ): Promise<Result<SnippetItem>>;
  moveSnippet(id: string, folderId: string | null): Promise<Result<{ id: string }>>;
  duplicateSnippet(id: string): Promise<Result<SnippetItem>>;
  deleteSnippet(id: string): Promise<Result<{ id: string; title: string }>>;
  restoreSnippet(id: string): Promise<Result<{ id: string; folderId: string | null }>>;
}

export const libraryApi: LibraryApi = {
  async level(folderId) {
    const [folders, snippets] = await Promise.all([
      all(
        async (after) =>
          (await request(SnippetFoldersQuery, { parentId: folderId, after })).snippetFolders,
      ),
      all(async (after) => (await request(SnippetsQuery, { folderId, after })).snippets),
    ]);
    return { folders, snippets };
  },
  async search(text) {
    const data = await request(SnippetsQuery, { folderId: null, search: text, after: null });
    return data.snippets.edges.map((e) => e.node);
  },
  async trash() {
    return all(async (after) => (await request(DeletedSnippetsQuery, { after })).deletedSnippets);
  },
  async createFolder(name, parentId) {
    const data = await request(CreateSnippetFolderMutation, { input: { name, parentId } });
    return outcome(data.createSnippetFolder.snippetFolder, data.createSnippetFolder.userErrors);
  },
  async renameFolder(id, name) {
    const data = await request(RenameSnippetFolderMutation, { input: { id, name } });
    return outcome(data.renameSnippetFolder.snippetFolder, data.renameSnippetFolder.userErrors);
  },
  async moveFolder(id, parentId) {
    const data = await request(MoveSnippetFolderMutation, { input: { id, parentId } });
    return outcome(data.moveSnippetFolder.snippetFolder, data.moveSnippetFolder.userErrors);
  },
  async deleteFolder(id) {
    const data = await request(DeleteSnippetFolderMutation, { id });
    return outcome(data.deleteSnippetFolder.snippetFolder, data.deleteSnippetFolder.userErrors);
  },
  async renameSnippet(id, title, expectedVersion) {
    const data = await request(RenameSnippetMutation, { input: { id, title, expectedVersion } });
    return outcome(data.renameSnippet.snippet, data.renameSnippet.userErrors);
  },
  async moveSnippet(id, folderId) {
    const data = await request(MoveSnippetMutation, { input: { id, folderId } });
    return outcome(data.moveSnippet.snippet, data.moveSnippet.userErrors);
  },
  async duplicateSnippet(id) {
    const data = await request(DuplicateSnippetMutation, { input: { id } });
    return outcome(data.duplicateSnippet.snippet, data.duplicateSnippet.userErrors);
  },
  async deleteSnippet(id) {
    const data = await request(DeleteSnippetMutation, { id });
    return outcome(data.deleteSnippet.snippet, data.deleteSnippet.userErrors);
  },
  async restoreSnippet(id) {
    const data = await request(RestoreSnippetMutation, { id });
    return outcome(data.restoreSnippet.snippet, data.restoreSnippet.userErrors);
  },
};

/** A snippet with its SQL (null when it is not in the library any more: deleted, or gone). */
export async function readSnippet(id: string): Promise<SnippetContent | null> {
  return (await request(SnippetQuery, { id })).snippet;
}

export async function readHistory(
  id: string,
): Promise<{ current: SnippetContent | null; versions: Version[] }> {
  const snippet = (await request(SnippetHistoryQuery, { id })).snippet;
  if (!snippet) return { current: null, versions: [] };
  return {
    current: { ...snippet, folderId: null, updatedAt: "" },
    versions: snippet.history.edges.map((e) => e.node),
  };
}

export async function createSnippet(input: {
  title: string;
  sql: string;
  folderId: string | null;
}): Promise<Result<SnippetContent>> {
  const { title, sql, folderId } = input;
  const data = await request(CreateSnippetMutation, { input: { title, sql, folderId } });
  return outcome(data.createSnippet.snippet, data.createSnippet.userErrors);
}

export async function updateSnippetSql(input: {
  id: string;
  sql: string;
  expectedVersion: number | null;
}): Promise<Result<SnippetContent>> {
  const { id, sql, expectedVersion } = input; // exactly the schema's fields
  const data = await request(UpdateSnippetMutation, { input: { id, sql, expectedVersion } });
  return outcome(data.updateSnippet.snippet, data.updateSnippet.userErrors);
}

export async function restoreVersion(input: {
  id: string;
  version: number;
  expectedVersion: number | null;
}): Promise<Result<SnippetContent>> {
  const { id, version, expectedVersion } = input;
  const data = await request(RestoreSnippetVersionMutation, {
    input: { id, version, expectedVersion },
  });
  return outcome(data.restoreSnippetVersion.snippet, data.restoreSnippetVersion.userErrors);
}

export interface FolderPath {
  id: string;
  /** "Reports / Weekly". */
  path: string;
  depth: number;
}

/** Every folder of the library with its path, depth first by name (at most 1,000 folders). */
export async function allFolders(): Promise<FolderPath[]> {
  const walk = async (
    parentId: string | null,
    prefix: string,
    depth: number,
  ): Promise<FolderPath[]> => {
    const folders = await all(
      async (after) => (await request(SnippetFoldersQuery, { parentId, after })).snippetFolders,
    );
    const below = await Promise.all(
      folders.map((f) => walk(f.id, `${prefix}${f.name} / `, depth + 1)),
    );
    return folders.flatMap((f, i) => [
      { id: f.id, path: `${prefix}${f.name}`, depth },
      ...below[i]!,
    ]);
  };
  return walk(null, "", 0);
}
