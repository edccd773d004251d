// The top bar: who is signed in, where, the business unit switch and sign out.
import { useState } from "react";
import type { Viewer } from "../App";
import { request, SIGN_OUT_URL } from "../api/http";
import { describeProblem } from "../api/problems";
import { DeploymentsButton } from "../production/ProductionTools";
import { SwitchBusinessUnitMutation } from "./operations";

export function label(name: string, id: string, kind: "MID" | "EID"): string {
  return `${name} (${kind} ${id})`;
}

export function Header({
  viewer,
  onSwitched,
  onAccount,
}: {
  viewer: Viewer;
  onSwitched: () => Promise<void>;
  /** Opens the account screen (admin/AccountDialog). */
  onAccount?: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const unit = viewer.businessUnit;

  const switchTo = async (mid: string) => {
    setBusy(true);
    setError("");
    try {
      const data = await request(SwitchBusinessUnitMutation, { mid });
      const problem = data.switchBusinessUnit.userErrors[0];
      if (problem) {
        setError(problem.message);
      } else {
        await onSwitched();
      }
    } catch (failure) {
      setError(describeProblem(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <header className="topbar">
      <span className="brand" aria-hidden="true">
        Quarry
      </span>
      <h1 className="visually-hidden">Quarry</h1>
      <label className="bu-switch">
        <span className="topbar-label">Business unit</span>
        <select
          id="business-unit-select"
          name="businessUnit"
          value={unit.mid}
          disabled={busy}
          onChange={(event) => void switchTo(event.target.value)}
        >
          {viewer.availableBusinessUnits.map((bu) => (
            <option key={bu.mid} value={bu.mid}>
              {label(bu.name, bu.mid, "MID")}
            </option>
          ))}
        </select>
      </label>
      <span className="visually-hidden" data-field="business-unit" data-mid={unit.mid}>
        {label(unit.name, unit.mid, "MID")}
      </span>
      <span className="topbar-error" role="status" data-field="error">
        {error}
      </span>
      <span className="spacer" />
      <DeploymentsButton />
      <span className="who" title={viewer.user.email}>
        <span data-field="user-name">{viewer.user.name}</span>
        <span className="muted" data-field="tenant">
          {" · "}
          {label(viewer.tenant.name, viewer.tenant.enterpriseId, "EID")}
        </span>
      </span>
      {onAccount && (
        <button type="button" onClick={onAccount} data-action="account" title="Account (Alt+A)">
          Account
        </button>
      )}
      <a href={SIGN_OUT_URL} id="sign-out">
        Sign out
      </a>
    </header>
  );
}
