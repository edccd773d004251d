// The app's outer states: loading, signed out, session ended, failed, signed in (the workbench).
// `#app[data-state]` says which, for people's assistive tools and for the browser tests.
import { useCallback, useEffect, useState } from "react";
import { ViewerQuery } from "./account/operations";
import { SessionEnded, SignedOut } from "./account/SignedOut";
import { readSession, request } from "./api/http";
import { type ApiProblem, describeProblem, onSessionProblem } from "./api/problems";
import { resetSocket } from "./api/ws";
import type { ViewerQuery as ViewerData } from "./gql/graphql";
import { ErrorBoundary } from "./layout/ErrorBoundary";
import { Workbench } from "./layout/Workbench";

export type Viewer = NonNullable<ViewerData["viewer"]>;

type State =
  | { kind: "loading" }
  | { kind: "signed-out"; note?: string }
  | { kind: "session-ended"; reason: string }
  | { kind: "error"; message: string }
  | { kind: "signed-in"; viewer: Viewer };

export function App({ root }: { root: HTMLElement }) {
  const [state, setState] = useState<State>({ kind: "loading" });

  const load = useCallback(async () => {
    try {
      const session = await readSession();
      if (!session.signedIn) {
        setState({ kind: "signed-out" });
        return;
      }
      resetSocket();
      const data = await request(ViewerQuery, {});
      setState(data.viewer ? { kind: "signed-in", viewer: data.viewer } : { kind: "signed-out" });
    } catch (error) {
      setState({ kind: "error", message: describeProblem(error) });
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  // Any request that finds the session gone: check it, then show the way back in.
  useEffect(
    () =>
      onSessionProblem((problem: ApiProblem) => {
        void readSession()
          .then((session) => {
            if (!session.signedIn) {
              resetSocket();
              // A sign-out from the account screen closes the socket too: it stays signed out.
              setState((current) =>
                current.kind === "signed-out"
                  ? current
                  : { kind: "session-ended", reason: problem.message },
              );
            }
          })
          .catch(() => undefined);
      }),
    [],
  );

  useEffect(() => {
    root.dataset.state = state.kind;
  }, [root, state.kind]);

  switch (state.kind) {
    case "loading":
      return <p className="boot">Loading Quarry…</p>;
    case "signed-out":
      return <SignedOut note={state.note} />;
    case "session-ended":
      return <SessionEnded reason={state.reason} />;
    case "error":
      return (
        <div className="screen">
          <h1>Quarry</h1>
          <p role="alert" className="error" data-field="error">
            {state.message}
          </p>
          <button type="button" onClick={() => void load()}>
            Try again
          </button>
        </div>
      );
    case "signed-in":
      return (
        <ErrorBoundary>
          <Workbench
            key={state.viewer.businessUnit.mid}
            viewer={state.viewer}
            onViewerChange={(viewer) => setState({ kind: "signed-in", viewer })}
            reload={load}
            onSignedOut={(note) => setState({ kind: "signed-out", note })}
          />
        </ErrorBoundary>
      );
  }
}
