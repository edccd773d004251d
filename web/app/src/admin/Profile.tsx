// Who you are here, your business units, and signing out.
import type { AccountViewerQuery } from "../gql/graphql";

type Viewer = NonNullable<AccountViewerQuery["viewer"]>;

export function Profile({
  viewer,
  signOut,
  signingOut,
}: {
  viewer: Viewer;
  signOut: () => void;
  signingOut: boolean;
}) {
  const current = viewer.businessUnit.mid;
  return (
    <div className="account-section">
      <dl className="facts">
        <div>
          <dt>Name</dt>
          <dd data-field="account-name">{viewer.user.name}</dd>
        </div>
        <div>
          <dt>Email</dt>
          <dd>{viewer.user.email || "—"}</dd>
        </div>
        <div>
          <dt>Account</dt>
          <dd>
            {viewer.tenant.name} (EID <span className="mono">{viewer.tenant.enterpriseId}</span>)
          </dd>
        </div>
        <div>
          <dt>Role in {viewer.businessUnit.name}</dt>
          <dd data-field="account-role">{viewer.role === "ADMIN" ? "administrator" : "user"}</dd>
        </div>
      </dl>
      <h3>Your business units</h3>
      <table className="table" data-testid="business-units">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">MID</th>
            <th scope="col">Parent</th>
          </tr>
        </thead>
        <tbody>
          {viewer.availableBusinessUnits.map((bu) => (
            <tr key={bu.mid} aria-current={bu.mid === current ? "true" : undefined}>
              <td>
                {bu.name}
                {bu.mid === current && <span className="muted"> (current)</span>}
              </td>
              <td className="mono">{bu.mid}</td>
              <td className="mono">{bu.parentMid ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">Switch business units with the selector at the top.</p>
      <div>
        <button
          type="button"
          onClick={signOut}
          disabled={signingOut}
          data-action="account-sign-out"
        >
          Sign out
        </button>
      </div>
    </div>
  );
}
