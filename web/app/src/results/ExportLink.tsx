// "Export CSV": a link into a hidden frame of the app (why not `<a download>`: csvExport.ts).
// A download leaves the frame as it was; a refusal loads into it and is said beside the link.
import { type SyntheticEvent, useId, useRef, useState } from "react";
import { describeProblem, reportSessionProblem } from "../api/problems";
import { exportHref, exportRefusal } from "./csvExport";

export function ExportLink({ runId }: { runId: string }) {
  const frame = `quarry-export-${useId()}`;
  const clicked = useRef(false);
  const [refused, setRefused] = useState<{ runId: string; message: string } | null>(null);

  const onLoad = (event: SyntheticEvent<HTMLIFrameElement>) => {
    if (!clicked.current) return; // the empty frame's own first load
    clicked.current = false;
    const problem = exportRefusal(event.currentTarget.contentDocument?.body?.textContent);
    setRefused({ runId, message: describeProblem(problem) });
    if (problem.kind === "signed-out" || problem.kind === "csrf") reportSessionProblem(problem);
  };

  return (
    <>
      <a
        className="button"
        href={exportHref(runId)}
        target={frame}
        data-action="export"
        onClick={() => {
          clicked.current = true;
          setRefused(null);
        }}
      >
        Export CSV
      </a>
      <iframe name={frame} title="CSV export" hidden onLoad={onLoad} />
      {refused?.runId === runId && (
        <span className="error" role="alert" data-field="export-problem">
          {refused.message}
        </span>
      )}
    </>
  );
}
