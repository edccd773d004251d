// The signed-in screen: top bar, sidebar | editor tabs over results.
import type { Viewer } from "../App";
import { Header } from "../account/Header";

export function Workbench({
  viewer,
  reload,
}: {
  viewer: Viewer;
  onViewerChange: (viewer: Viewer) => void;
  reload: () => Promise<void>;
}) {
  return (
    <div className="workbench">
      <Header viewer={viewer} onSwitched={reload} />
      <main className="work" aria-label="Workbench" />
    </div>
  );
}
