// The operations read snippets through the fragments, and their payloads' types are exactly
// the fragments' (checked by tsc, which type-checks this file; vitest runs it too).
import { describe, expect, expectTypeOf, it } from "vitest";
import type {
  CreateSnippetMutation,
  DuplicateSnippetMutation,
  RenameSnippetFolderMutation,
  RenameSnippetMutation,
  RestoreSnippetVersionMutation,
  SnippetFoldersQuery,
  SnippetQuery,
  SnippetsQuery,
  UpdateSnippetMutation,
} from "../gql/graphql";
import type { FolderItem, SnippetContent, SnippetItem } from "./api";
import * as operations from "./operations";

type Item = {
  id: string;
  title: string;
  folderId: string | null;
  version: number;
  updatedAt: string;
};

describe("snippet operations", () => {
  it("answer exactly the fragments' fields", () => {
    expectTypeOf<SnippetItem>().toEqualTypeOf<Item>();
    expectTypeOf<SnippetContent>().toEqualTypeOf<{
      id: string;
      title: string;
      folderId: string | null;
      version: number;
      updatedAt: string;
      sql: string;
    }>();
    expectTypeOf<FolderItem>().toEqualTypeOf<{
      id: string;
      name: string;
      parentId: string | null;
    }>();
    expectTypeOf<NonNullable<SnippetQuery["snippet"]>>().toEqualTypeOf<SnippetContent>();
    for (const payload of [
      {} as NonNullable<CreateSnippetMutation["createSnippet"]["snippet"]>,
      {} as NonNullable<UpdateSnippetMutation["updateSnippet"]["snippet"]>,
      {} as NonNullable<RestoreSnippetVersionMutation["restoreSnippetVersion"]["snippet"]>,
    ]) {
      expectTypeOf(payload).toEqualTypeOf<SnippetContent>();
    }
    for (const payload of [
      {} as NonNullable<RenameSnippetMutation["renameSnippet"]["snippet"]>,
      {} as NonNullable<DuplicateSnippetMutation["duplicateSnippet"]["snippet"]>,
    ]) {
      expectTypeOf(payload).toEqualTypeOf<SnippetItem>();
    }
    type Listed = SnippetsQuery["snippets"]["edges"][number]["node"];
    expectTypeOf<Listed>().toEqualTypeOf<{
      id: string;
      title: string;
      folderId: string | null;
      version: number;
      updatedAt: string;
      description: string;
      tags: Array<string>;
    }>();
    expectTypeOf<
      SnippetFoldersQuery["snippetFolders"]["edges"][number]["node"]
    >().toEqualTypeOf<FolderItem>();
    expectTypeOf<
      NonNullable<RenameSnippetFolderMutation["renameSnippetFolder"]["snippetFolder"]>
    >().toEqualTypeOf<FolderItem>();
  });

  it("send each fragment's definition with the documents that spread it", () => {
    const content = [
      operations.SnippetQuery,
      operations.CreateSnippetMutation,
      operations.UpdateSnippetMutation,
      operations.RestoreSnippetVersionMutation,
    ];
    for (const document of content) {
      expect(document.toString()).toContain("fragment SnippetContent on Snippet");
    }
    const items = [operations.SnippetsQuery, operations.RenameSnippetMutation];
    for (const document of [...content, ...items, operations.DuplicateSnippetMutation]) {
      expect(document.toString()).toContain("fragment SnippetItem on Snippet");
    }
    expect(operations.SnippetFoldersQuery.toString()).toContain(
      "fragment SnippetFolderItem on SnippetFolder",
    );
    expect(operations.SnippetsQuery.toString()).not.toContain("fragment SnippetContent");
  });
});
