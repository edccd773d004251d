// The way into the road to production from the editor's toolbar: the target DE wizard, the
// pre-flight check and the deploy dialog for the current tab, and the deployments. Each screen
// is loaded when first opened (the workbench's first paint does not wait for them; one that
// cannot be loaded says so). While a finding's "show in SQL" has the editor selected, the
// screen is parked: it keeps its state and a button brings it back.
import { Suspense, useCallback, useEffect, useMemo, useState } from "react";
import { isMac, keysOf, type ShortcutId } from "../shortcuts/registry";
import { lazyPart } from "../ui/lazyPart";
import { ParkedContext } from "./common/Dialog";
import type { ProductionHost } from "./host";
import type { PreflightMemory } from "./preflight/PreflightDialog";
import "./production.css";

const TargetDeWizard = lazyPart(() =>
  import("./wizard/TargetDeWizard").then((m) => m.TargetDeWizard),
);
const PreflightDialog = lazyPart(() =>
  import("./preflight/PreflightDialog").then((m) => m.PreflightDialog),
);
const DeployDialog = lazyPart(() => import("./deploy/DeployDialog").then((m) => m.DeployDialog));
const DeploymentsView = lazyPart(() =>
  import("./deployments/DeploymentsView").then((m) => m.DeploymentsView),
);

export type Screen = "wizard" | "preflight" | "deploy" | "deployments";

const TITLES: Record<Screen, string> = {
  wizard: "the target DE wizard",
  preflight: "the pre-flight check",
  deploy: "the deploy dialog",
  deployments: "the deployments",
};

const requests = new EventTarget();

/** Open a screen from elsewhere in the page (the header's Deployments button, a shortcut). */
export function requestScreen(screen: Screen): void {
  requests.dispatchEvent(new CustomEvent<Screen>("open", { detail: screen }));
}

/** Bring back the screen a finding's "show in SQL" parked (nothing when none is). */
export function requestUnpark(): void {
  requests.dispatchEvent(new Event("unpark"));
}

/** A button's title with its shortcut, the way this platform writes keys. */
function titled(text: string, id: ShortcutId): string {
  return `${text} (${keysOf(id, isMac())})`;
}

/** The header's button that opens the deployments. */
export function DeploymentsButton() {
  return (
    <button
      type="button"
      onClick={() => requestScreen("deployments")}
      data-action="open-deployments"
      title={titled("Your deployments made from this business unit", "openDeployments")}
    >
      Deployments
    </button>
  );
}

export function useProductionScreens(host: ProductionHost) {
  const [screen, setScreen] = useState<Screen | null>(null);
  const [parked, setParked] = useState(false);
  const [memory, setMemory] = useState<PreflightMemory>({ target: null, updateType: "OVERWRITE" });

  const open = useCallback((next: Screen) => {
    setParked(false);
    setScreen(next);
  }, []);
  const close = useCallback(() => {
    setParked(false);
    setScreen(null);
  }, []);
  useEffect(() => {
    const listener = (event: Event) => open((event as CustomEvent<Screen>).detail);
    const unparkListener = () => setParked(false);
    requests.addEventListener("open", listener);
    requests.addEventListener("unpark", unparkListener);
    return () => {
      requests.removeEventListener("open", listener);
      requests.removeEventListener("unpark", unparkListener);
    };
  }, [open]);
  const screenHost = useMemo<ProductionHost>(
    () => ({
      ...host,
      showInSql: (start, end) => {
        setParked(true);
        // after the dialog closed (the editor is inert while it is open)
        setTimeout(() => host.showInSql(start, end), 0);
      },
      openSql: (title, sql) => {
        close();
        host.openSql(title, sql);
      },
    }),
    [host, close],
  );

  const view = screen && (
    <ParkedContext.Provider value={parked}>
      <Suspense fallback={<span className="muted">Opening…</span>}>
        {screen === "wizard" && <TargetDeWizard host={screenHost} onClose={close} />}
        {screen === "preflight" && (
          <PreflightDialog host={screenHost} onClose={close} memory={memory} remember={setMemory} />
        )}
        {screen === "deploy" && <DeployDialog host={screenHost} onClose={close} />}
        {screen === "deployments" && <DeploymentsView host={screenHost} onClose={close} />}
      </Suspense>
    </ParkedContext.Provider>
  );
  return { screen, parked, open, unpark: () => setParked(false), view };
}

/** The toolbar's buttons for the current tab (and the way back to a parked screen). */
export function ProductionTools({ host }: { host: ProductionHost }) {
  const { screen, parked, open, unpark, view } = useProductionScreens(host);
  return (
    <span className="production-tools">
      {parked && screen && (
        <button
          type="button"
          className="primary"
          onClick={unpark}
          data-action="back-to-screen"
          title={titled("Open it again", "backToScreen")}
        >
          ↩ Back to {TITLES[screen]}
        </button>
      )}
      <button
        type="button"
        onClick={() => open("wizard")}
        data-action="target-wizard"
        title={titled(
          "Propose and create a data extension that fits this query's output",
          "openTargetWizard",
        )}
      >
        Target DE…
      </button>
      <button
        type="button"
        onClick={() => open("preflight")}
        data-action="preflight"
        title={titled(
          "What Marketing Cloud would refuse or fail on, before deploying",
          "openPreflight",
        )}
      >
        Pre-flight…
      </button>
      <button
        type="button"
        onClick={() => open("deploy")}
        data-action="deploy"
        title={titled(
          "Save this query as a query activity in one business unit or many",
          "openDeploy",
        )}
      >
        Deploy…
      </button>
      {view}
    </span>
  );
}
