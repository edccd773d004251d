import { graphql } from "../../gql";

export const DeploymentsQuery = graphql(`
  query Deployments($after: String, $mid: String, $status: DeploymentStatus, $activityKey: String) {
    deployments(first: 25, after: $after, mid: $mid, status: $status, activityKey: $activityKey) {
      edges {
        node {
          id status activityKey activityName updateType mids createdAt finishedAt rollbackOf
          target { key name }
          requestedBy { id name email }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const DeploymentQuery = graphql(`
  query Deployment($id: ID!) {
    deployment(id: $id) {
      id status activityKey activityName description folderPath sql sqlHash updateType
      createMissing force mids rollbackOf attempts createdAt updatedAt finishedAt
      requestedBy { id name email }
      target { key name folderPath shared create primaryKey }
      automation {
        name key description scheduleNote
        schedule { startDate recurrence timeZoneId endDate }
      }
      findings {
        mid code severity message column suggestion
        range { start end line column endLine endColumn }
      }
      businessUnits {
        mid status step attempts folderId activityObjectId activityCreated
        targetKey targetName targetObjectId targetCreated targetShared
        orphanedDataExtension { key name }
        automationId automationKey schedulePaused mceWarnings
        error { code message }
        drift {
          changes sqlDiff deployedTargetKey currentTargetKey deployedUpdateType currentUpdateType
        }
        startedAt finishedAt
      }
    }
  }
`);

export const RollbackMutation = graphql(`
  mutation Rollback($input: RollbackDeploymentInput!) {
    rollbackDeployment(input: $input) {
      deployment { id status mids }
      replayed
      findings {
        mid code severity message column suggestion
        range { start end line column endLine endColumn }
      }
      userErrors { code field message }
    }
  }
`);
