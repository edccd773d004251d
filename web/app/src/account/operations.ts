import { graphql } from "../gql";

export const ViewerQuery = graphql(`
  query Viewer {
    viewer {
      user { id name email timeZone }
      tenant { name enterpriseId }
      businessUnit { mid name parentMid }
      availableBusinessUnits { mid name parentMid }
    }
  }
`);

export const SwitchBusinessUnitMutation = graphql(`
  mutation SwitchBusinessUnit($mid: String!) {
    switchBusinessUnit(input: { mid: $mid }) {
      viewer { businessUnit { mid name parentMid } }
      userErrors { code message field }
    }
  }
`);

export const SessionStatusSubscription = graphql(`
  subscription SessionStatus {
    sessionStatus { active idleExpiresAt absoluteExpiresAt }
  }
`);
