import { graphql } from "../gql";

export const ValidateSqlQuery = graphql(`
  query ValidateSql($sql: String!) {
    validateSql(sql: $sql, purpose: RUN) {
      valid
      findings {
        code severity message mceMessage suggestion
        range { start end line column endLine endColumn }
      }
    }
  }
`);

export const SqlCompletionsQuery = graphql(`
  query SqlCompletions($sql: String!, $offset: Int!) {
    sqlCompletions(sql: $sql, offset: $offset, first: 50) {
      label kind detail insertText documentation
    }
  }
`);

export const FormatSqlQuery = graphql(`
  query FormatSql($sql: String!) {
    formatSql(sql: $sql) {
      sql changed
      findings { code message }
    }
  }
`);
