// Administrators: every user of the account, with their role here, their business units,
// last sign-in and active tokens; remove one (their sessions, tokens and stored Marketing Cloud
// tokens go; signing in again brings them back as a new user).
import { useCallback, useEffect, useState } from "react";
import { request } from "../api/http";
import { describeProblem } from "../api/problems";
import type { TenantUsersQuery } from "../gql/graphql";
import { useChoice } from "../ui/Choice";
import { formatDateTime } from "../ui/dates";
import { RemoveUserMutation, TenantUsersQuery as TenantUsersDocument } from "./operations";
import { everyPage } from "./pages";

type TenantUser = TenantUsersQuery["tenantUsers"]["edges"][number]["node"];

const role = (value: string | null) =>
  value === "ADMIN" ? "administrator" : value === "USER" ? "user" : "—";

export function Users() {
  const [users, setUsers] = useState<TenantUser[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [ask, choice] = useChoice();

  const load = useCallback(async () => {
    try {
      setUsers(
        await everyPage(
          async (after) => (await request(TenantUsersDocument, { after })).tenantUsers,
        ),
      );
    } catch (error) {
      setProblem(describeProblem(error));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const remove = async (user: TenantUser) => {
    const answer = await ask({
      name: "remove-user",
      title: `Remove ${user.name}?`,
      message: (
        <>
          <p>
            Their sessions end at once, their API tokens are revoked and the Marketing Cloud tokens
            Quarry keeps for them are deleted. Their snippets are deleted with them.
          </p>
          <p>If they open Quarry from Marketing Cloud again, they come back as a new user.</p>
        </>
      ),
      choices: [
        { value: "remove", label: `Remove ${user.name}`, tone: "danger" },
        { value: "cancel", label: "Cancel" },
      ],
    });
    if (answer !== "remove") return;
    try {
      const data = await request(RemoveUserMutation, { userId: user.id });
      const refused = data.removeUser.userErrors[0];
      if (refused) {
        setProblem(refused.message);
      } else {
        setProblem(null);
        setNote(
          `${user.name} was removed: ${data.removeUser.endedSessions ?? 0} session(s) ended, ${
            data.removeUser.revokedApiTokens ?? 0
          } API token(s) revoked.`,
        );
      }
      await load();
    } catch (error) {
      setProblem(describeProblem(error));
    }
  };

  return (
    <div className="account-section">
      <p className="muted">Everyone in this Marketing Cloud account who has used Quarry.</p>
      {problem && (
        <p className="notice error" role="alert">
          {problem}
        </p>
      )}
      {note && (
        <p className="notice" role="status">
          {note}
        </p>
      )}
      {users === null && !problem && <p className="muted">Loading…</p>}
      {users && (
        <table className="table" data-testid="tenant-users">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">MCE user id</th>
              <th scope="col">Role here</th>
              <th scope="col">Business units</th>
              <th scope="col">Last sign-in</th>
              <th scope="col">Active tokens</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr key={user.id} data-user={user.name}>
                <td>
                  {user.name}
                  {user.isViewer && <span className="muted"> (you)</span>}
                </td>
                <td>{user.email ?? "—"}</td>
                <td className="mono">{user.mceUserId}</td>
                <td>{role(user.role)}</td>
                <td>
                  <ul className="bu-list">
                    {user.businessUnits.map((m) => (
                      <li key={m.businessUnit.mid}>
                        {m.businessUnit.name} <span className="muted">({role(m.role)})</span>
                      </li>
                    ))}
                  </ul>
                </td>
                <td>{user.lastSignInAt ? formatDateTime(user.lastSignInAt) : "never"}</td>
                <td className="num">{user.activeApiTokenCount}</td>
                <td>
                  {!user.isViewer && (
                    <button
                      type="button"
                      aria-label={`Remove ${user.name}`}
                      onClick={() => void remove(user)}
                    >
                      Remove
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {choice}
    </div>
  );
}
