import { SIGN_IN_URL } from "../api/http";

function devSignIn(): boolean {
  return (
    document.querySelector('meta[name="quarry-sign-in"]')?.getAttribute("content") === "development"
  );
}

/** Nobody is signed in: Quarry is opened from Marketing Cloud, which starts the sign-in.
 * `note` says how this page got here when there is more to it (Quarry was uninstalled). */
export function SignedOut({ note }: { note?: string | undefined }) {
  return (
    <main className="screen">
      <h1>Quarry</h1>
      {note && (
        <p role="status" data-field="signed-out-note">
          {note}
        </p>
      )}
      <p>Open Quarry from Marketing Cloud's app switcher.</p>
      {devSignIn() && (
        <p data-field="dev-sign-in">
          <a href={SIGN_IN_URL} id="sign-in">
            Sign in
          </a>{" "}
          (development: signs in through the MCE simulator)
        </p>
      )}
    </main>
  );
}

/** The session ended while working: back into the Marketing Cloud sign-in, tabs kept. */
export function SessionEnded({ reason }: { reason: string }) {
  return (
    <main className="screen">
      <h1>Quarry</h1>
      <p role="alert">{reason}</p>
      <p>
        <a href={SIGN_IN_URL} id="sign-in-again" className="button">
          Sign in again
        </a>
      </p>
      <p className="muted">
        Signing in goes through Marketing Cloud and brings you back here; your tabs and their SQL
        are kept in this browser.
      </p>
    </main>
  );
}
