// Who requested a deployment, as the list and the detail say it: the API's `requestedBy`
// (never the viewer assumed), marked "(you)" when it is the viewer.
import type { Viewer } from "../../App";
import type { DeploymentQuery } from "../../gql/graphql";

export type Requester = NonNullable<DeploymentQuery["deployment"]>["requestedBy"];

/** "Name (you)", "Name <email>", "Name", or a removed user's placeholder. */
export function requesterText(requester: Requester, viewer: Viewer): string {
  if (requester === null) return "a user no longer in Quarry";
  if (requester.id === viewer.user.id) return `${requester.name} (you)`;
  return requester.email ? `${requester.name} <${requester.email}>` : requester.name;
}
