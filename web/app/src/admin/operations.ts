import { graphql } from "../gql";

export const AccountViewerQuery = graphql(`
  query AccountViewer {
    viewer {
      role
      user { id name email mceUserId }
      tenant { name enterpriseId }
      businessUnit { mid name parentMid }
      availableBusinessUnits { mid name parentMid }
    }
  }
`);

export const ApiTokensQuery = graphql(`
  query ApiTokens($after: String) {
    apiTokens(first: 100, after: $after) {
      edges { node { id name scope mid createdAt expiresAt lastUsedAt revokedAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const CreateApiTokenMutation = graphql(`
  mutation CreateApiToken($input: CreateApiTokenInput!) {
    createApiToken(input: $input) {
      apiToken { id name scope mid createdAt expiresAt lastUsedAt revokedAt }
      token
      userErrors { code message field }
    }
  }
`);

export const RevokeApiTokenMutation = graphql(`
  mutation RevokeApiToken($id: ID!) {
    revokeApiToken(input: { id: $id }) {
      apiToken { id revokedAt }
      userErrors { code message field }
    }
  }
`);

export const SignOutMutation = graphql(`
  mutation SignOut {
    signOut { signedOut userErrors { code message field } }
  }
`);

export const TenantUsersQuery = graphql(`
  query TenantUsers($after: String) {
    tenantUsers(first: 100, after: $after) {
      edges {
        node {
          id mceUserId name email role lastSignInAt activeApiTokenCount isViewer
          businessUnits { role businessUnit { mid name } }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const RemoveUserMutation = graphql(`
  mutation RemoveUser($userId: ID!) {
    removeUser(input: { userId: $userId }) {
      removedUserId endedSessions revokedApiTokens
      userErrors { code message field }
    }
  }
`);

export const MceAssetsQuery = graphql(`
  query MceAssets($after: String) {
    mceAssets(first: 100, after: $after) {
      edges {
        node {
          id kind name customerKey state fieldCount createdAt lastUsedAt useCount leasedUntil note
        }
      }
      pageInfo { hasNextPage endCursor }
      report {
        total poolSize idleBeyondPool failedDeletions
        byState { state count }
      }
    }
  }
`);

export const PurgeMceAssetsMutation = graphql(`
  mutation PurgeMceAssets {
    purgeMceAssets { deleted failed canceledRuns userErrors { code message field } }
  }
`);

export const UninstallTenantMutation = graphql(`
  mutation UninstallTenant($confirmEnterpriseId: String!) {
    uninstallTenant(input: { confirmEnterpriseId: $confirmEnterpriseId }) {
      uninstalled endedSessions revokedApiTokens
      userErrors { code message field }
    }
  }
`);
