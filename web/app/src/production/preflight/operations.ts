import { graphql } from "../../gql";

export const CheckQueryTargetQuery = graphql(`
  query CheckQueryTarget($sql: String!, $targetKey: String!, $updateType: UpdateType!, $mid: String) {
    checkQueryTarget(sql: $sql, targetKey: $targetKey, updateType: $updateType, mid: $mid) {
      report {
        mid updateType sqlValid blocking needsAcknowledgement
        target {
          customerKey name sqlName shared
          fields { name fieldType maxLength precision scale isPrimaryKey isRequired }
        }
        findings {
          code severity message column suggestion mceMessage
          range { start end line column endLine endColumn }
        }
        columns { name fieldType maxLength precision scale nullable typeKnown note }
        usedBy { activityKey activityName updateType automations { name status } }
      }
      userErrors { code field message }
    }
  }
`);

export const ProbeQueryTargetMutation = graphql(`
  mutation ProbeQueryTarget($input: ProbeQueryTargetInput!) {
    probeQueryTarget(input: $input) {
      run { id status }
      probe { status message }
      joined
      userErrors { code field message }
    }
  }
`);

export const ProbeEventsSubscription = graphql(`
  subscription ProbeEvents($runId: ID!, $after: String) {
    runEvents(runId: $runId, after: $after) {
      cursor status rowCount queuedAt startedAt finishedAt
      error { code message cause fix }
      probe {
        targetKey targetName updateType status message
        report {
          rowCount willFail duplicateKeyValues duplicateKeyRows keysInTarget
          findings {
            code severity message column suggestion mceMessage
            range { start end line column endLine endColumn }
          }
          columns { column field nullRows longest limit tooLongRows }
        }
      }
    }
  }
`);
