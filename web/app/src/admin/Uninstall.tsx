// Administrators: uninstall Quarry from the account, behind typing the enterprise id again
// (the server checks it too). Quarry's assets in Marketing Cloud are deleted, everyone is
// signed out; the audit trail stays; signing in again installs it anew. The signed-out screen
// then says what was done.
import { type FormEvent, useId, useState } from "react";
import { request } from "../api/http";
import { describeProblem } from "../api/problems";
import { UninstallTenantMutation } from "./operations";

export function Uninstall({
  enterpriseId,
  tenantName,
  onUninstalled,
}: {
  enterpriseId: string;
  tenantName: string;
  /** Called with the sentence saying what the uninstall did. */
  onUninstalled: (outcome: string) => void;
}) {
  const [typed, setTyped] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  const matches = typed.trim() === enterpriseId;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!matches) return;
    setBusy(true);
    try {
      const data = await request(UninstallTenantMutation, { confirmEnterpriseId: typed.trim() });
      const refused = data.uninstallTenant.userErrors[0];
      if (refused) setProblem(refused.message);
      else if (data.uninstallTenant.uninstalled) {
        const { endedSessions, revokedApiTokens } = data.uninstallTenant;
        onUninstalled(
          `Quarry was uninstalled from ${tenantName}: ${endedSessions ?? 0} session(s) ended, ` +
            `${revokedApiTokens ?? 0} API token(s) revoked. Opening it from Marketing Cloud ` +
            "again installs it anew.",
        );
      }
    } catch (error) {
      setProblem(describeProblem(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="account-section" onSubmit={(event) => void submit(event)}>
      <p>Uninstalling Quarry from {tenantName}:</p>
      <ul>
        <li>
          deletes Quarry's own assets in Marketing Cloud (its result data extensions, queries and
          folders) in each business unit someone here can still act in, canceling runs;
        </li>
        <li>signs everyone out and revokes every API token;</li>
        <li>deletes the Marketing Cloud tokens and the encryption keys Quarry keeps;</li>
        <li>keeps the audit trail. Opening Quarry from Marketing Cloud again installs it anew.</li>
      </ul>
      <div className="form-row">
        <label htmlFor={id}>
          Type the enterprise id, <strong className="mono">{enterpriseId}</strong>, to confirm
        </label>
        <input
          id={id}
          type="text"
          autoComplete="off"
          value={typed}
          className="mono"
          data-testid="uninstall-confirm"
          onChange={(event) => setTyped(event.target.value)}
        />
      </div>
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
      <div>
        <button
          type="submit"
          className="danger"
          disabled={!matches || busy}
          data-action="uninstall"
        >
          Uninstall Quarry
        </button>
      </div>
    </form>
  );
}
