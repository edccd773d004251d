// Reading every page of a connection (the account's lists are short: tokens, users, assets).

export interface Connection<N> {
  edges: { node: N }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export async function everyPage<N>(
  page: (after: string | null) => Promise<Connection<N>>,
  limit = 20,
): Promise<N[]> {
  const nodes: N[] = [];
  let after: string | null = null;
  for (let i = 0; i < limit; i += 1) {
    const connection = await page(after);
    nodes.push(...connection.edges.map((e) => e.node));
    if (!connection.pageInfo.hasNextPage || !connection.pageInfo.endCursor) break;
    after = connection.pageInfo.endCursor;
  }
  return nodes;
}
