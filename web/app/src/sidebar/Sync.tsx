// The BU's metadata sync: where it stands (live), and a button to sync now.
import { useEffect, useState } from "react";
import { request } from "../api/http";
import { describeProblem } from "../api/problems";
import { live } from "../api/ws";
import type { MetadataSyncSubscription } from "../gql/graphql";
import { RefreshMetadataMutation, MetadataSyncSubscription as SyncDocument } from "./operations";

type Progress = MetadataSyncSubscription["metadataSync"];

function percent(progress: Progress): number | null {
  const done = progress.dataExtensionsDone + progress.foldersDone + progress.queryActivitiesDone;
  const totals = [
    progress.dataExtensionsTotal,
    progress.foldersTotal,
    progress.queryActivitiesTotal,
  ];
  if (totals.some((t) => t === null)) return null;
  const total = totals.reduce<number>((sum, t) => sum + (t ?? 0), 0);
  return total > 0 ? Math.min(100, Math.round((100 * done) / total)) : null;
}

export function SyncStatus({ onSynced }: { onSynced: () => void }) {
  const [progress, setProgress] = useState<Progress | null>(null);
  const [note, setNote] = useState("");
  useEffect(() => {
    let watch: { stop(): void } | null = null;
    let last: string | null = null;
    try {
      watch = live({
        document: SyncDocument,
        variables: () => ({}),
        next: (data) => {
          setProgress(data.metadataSync);
          if (last === "RUNNING" && data.metadataSync.state === "COMPLETE") onSynced();
          last = data.metadataSync.state;
        },
        error: (problem) => setNote(problem.message),
      });
    } catch {
      // no room on the socket
    }
    return () => watch?.stop();
  }, [onSynced]);

  const refresh = async () => {
    setNote("");
    try {
      const data = await request(RefreshMetadataMutation, {});
      const problem = data.refreshMetadata.userErrors[0];
      if (problem) setNote(problem.message);
    } catch (error) {
      setNote(describeProblem(error));
    }
  };

  const running = progress?.state === "RUNNING";
  const value = progress && running ? percent(progress) : null;
  return (
    <div className="sync" data-field="metadata-sync">
      <span className="sync-state" role="status">
        {progress === null
          ? "Metadata: …"
          : running
            ? `Syncing ${progress.phase?.toLowerCase().replace("_", " ") ?? ""}`
            : progress.state === "COMPLETE"
              ? `Synced${progress.lastSuccessAt ? ` ${new Date(progress.lastSuccessAt).toLocaleTimeString()}` : ""}`
              : progress.state === "NEEDS_SIGN_IN"
                ? "Sync needs a sign-in"
                : `Sync failed: ${progress.message}`}
      </span>
      {running && (
        <progress max={100} value={value ?? undefined} aria-label="Metadata sync progress">
          {value ?? ""}
        </progress>
      )}
      <button
        type="button"
        className="icon"
        onClick={() => void refresh()}
        disabled={running}
        aria-label="Refresh metadata"
        title="Sync this BU's metadata now"
      >
        ⟳
      </button>
      {note && <span className="error">{note}</span>}
    </div>
  );
}
