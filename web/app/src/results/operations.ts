import { graphql } from "../gql";
import type { RunQuery } from "../gql/graphql";

export const StartRunMutation = graphql(`
  mutation StartRun($sql: String!) {
    startRun(input: { sql: $sql }) {
      run { id status }
      joined
      findings {
        code severity message suggestion
        range { start end line column endLine endColumn }
      }
      userErrors { code message field }
    }
  }
`);

export const CancelRunMutation = graphql(`
  mutation CancelRun($id: ID!) {
    cancelRun(input: { id: $id }) {
      run { id status }
      userErrors { code message field }
    }
  }
`);

export const RunQueryDocument = graphql(`
  query Run($id: ID!) {
    run(id: $id) {
      id status sql queuedAt startedAt completedAt finishedAt expiresAt rowCount
      columns { name fieldType length precision scale nullable }
      error { code message cause fix }
    }
  }
`);

export const RunEventsSubscription = graphql(`
  subscription RunEvents($runId: ID!, $after: String) {
    runEvents(runId: $runId, after: $after) {
      cursor status rowCount columns queuedAt startedAt mceCompletedAt finishedAt expiresAt
      error { code message cause fix }
    }
  }
`);

export const RunResultsSubscription = graphql(`
  subscription RunResults($runId: ID!, $after: Int, $pageSize: Int) {
    runResults(runId: $runId, after: $after, pageSize: $pageSize) { offset rows total last }
  }
`);

export const RunHistoryQuery = graphql(`
  query RunHistory {
    runs(first: 30) {
      edges { node { id status sql queuedAt finishedAt rowCount expiresAt } }
    }
  }
`);

export type RunDetails = NonNullable<RunQuery["run"]>;
export type RunColumn = RunDetails["columns"][number];
export type FieldType = RunColumn["fieldType"];
export type RunStatus = RunDetails["status"];
export type RunErrorDetails = NonNullable<RunDetails["error"]>;
