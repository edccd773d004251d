// The account screen, as a dialog over the workbench (the editor and its tabs stay as they
// are): you and your business units, API tokens, and for administrators of the current BU
// the account's users, Quarry's assets in Marketing Cloud and uninstalling.
import { type KeyboardEvent, useEffect, useId, useState } from "react";
import { request } from "../api/http";
import { describeProblem } from "../api/problems";
import type { AccountViewerQuery } from "../gql/graphql";
import { Dialog } from "../ui/Dialog";
import { McAssets } from "./Assets";
import { AccountViewerQuery as AccountViewerDocument, SignOutMutation } from "./operations";
import { Profile } from "./Profile";
import { Tokens } from "./Tokens";
import { Uninstall } from "./Uninstall";
import { Users } from "./Users";
import "./admin.css";

type Viewer = NonNullable<AccountViewerQuery["viewer"]>;

export type Section = "profile" | "tokens" | "users" | "assets" | "uninstall";

const SECTIONS: { id: Section; label: string; admin: boolean }[] = [
  { id: "profile", label: "You", admin: false },
  { id: "tokens", label: "API tokens", admin: false },
  { id: "users", label: "Users", admin: true },
  { id: "assets", label: "MCE assets", admin: true },
  { id: "uninstall", label: "Uninstall", admin: true },
];

export function AccountDialog({
  initial = "profile",
  onClose,
  onSignedOut,
}: {
  initial?: Section;
  onClose: () => void;
  /** Signed out, or uninstalled (`note` says what the uninstall did). */
  onSignedOut: (note?: string) => void;
}) {
  const [viewer, setViewer] = useState<Viewer | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [section, setSection] = useState<Section>(initial);
  const [signingOut, setSigningOut] = useState(false);
  const base = useId();

  useEffect(() => {
    let live = true;
    request(AccountViewerDocument, {})
      .then((data) => {
        if (live) setViewer(data.viewer);
      })
      .catch((error) => live && setProblem(describeProblem(error)));
    return () => {
      live = false;
    };
  }, []);

  const admin = viewer?.role === "ADMIN";
  const shown = SECTIONS.filter((s) => !s.admin || admin);
  const current = shown.some((s) => s.id === section) ? section : "profile";

  const signOut = async () => {
    setSigningOut(true);
    try {
      const data = await request(SignOutMutation, {});
      const refused = data.signOut.userErrors[0];
      if (refused) setProblem(refused.message);
      else onSignedOut();
    } catch (error) {
      setProblem(describeProblem(error));
    } finally {
      setSigningOut(false);
    }
  };

  const onTabKey = (event: KeyboardEvent<HTMLDivElement>) => {
    const index = shown.findIndex((s) => s.id === current);
    let next = index;
    if (event.key === "ArrowDown" || event.key === "ArrowRight") next = (index + 1) % shown.length;
    else if (event.key === "ArrowUp" || event.key === "ArrowLeft")
      next = (index - 1 + shown.length) % shown.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = shown.length - 1;
    else return;
    event.preventDefault();
    const target = shown[next]!;
    setSection(target.id);
    document.getElementById(`${base}-tab-${target.id}`)?.focus();
  };

  return (
    <Dialog title="Account" onClose={onClose} size="large" name="account">
      {problem && (
        <p className="notice error" role="alert">
          {problem}
        </p>
      )}
      {!viewer && !problem && <p className="muted">Loading…</p>}
      {viewer && (
        <div className="account">
          <div
            role="tablist"
            aria-label="Account sections"
            aria-orientation="vertical"
            className="account-tabs"
            onKeyDown={onTabKey}
          >
            {shown.map((s) => (
              <button
                key={s.id}
                type="button"
                role="tab"
                id={`${base}-tab-${s.id}`}
                aria-selected={s.id === current}
                aria-controls={`${base}-panel`}
                tabIndex={s.id === current ? 0 : -1}
                data-section={s.id}
                onClick={() => setSection(s.id)}
                data-autofocus={s.id === current ? "" : undefined}
              >
                {s.label}
                {s.admin && <span className="admin-mark">admin</span>}
              </button>
            ))}
          </div>
          <div
            role="tabpanel"
            id={`${base}-panel`}
            aria-labelledby={`${base}-tab-${current}`}
            className="account-panel"
          >
            {current === "profile" && (
              <Profile viewer={viewer} signOut={() => void signOut()} signingOut={signingOut} />
            )}
            {current === "tokens" && <Tokens currentMid={viewer.businessUnit.mid} />}
            {current === "users" && admin && <Users />}
            {current === "assets" && admin && (
              <McAssets
                businessUnit={`${viewer.businessUnit.name} (MID ${viewer.businessUnit.mid})`}
              />
            )}
            {current === "uninstall" && admin && (
              <Uninstall
                enterpriseId={viewer.tenant.enterpriseId}
                tenantName={viewer.tenant.name}
                onUninstalled={onSignedOut}
              />
            )}
          </div>
        </div>
      )}
    </Dialog>
  );
}
