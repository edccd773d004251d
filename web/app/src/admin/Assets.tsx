// Administrators: what Quarry created in Marketing Cloud for this business unit (its folder,
// shell data extensions and query definitions), the cleanup report, and a purge of them all.
import { useCallback, useEffect, useState } from "react";
import { request } from "../api/http";
import { describeProblem } from "../api/problems";
import type { MceAssetsQuery } from "../gql/graphql";
import { useChoice } from "../ui/Choice";
import { formatDateTime } from "../ui/dates";
import { MceAssetsQuery as MceAssetsDocument, PurgeMceAssetsMutation } from "./operations";

type Assets = MceAssetsQuery["mceAssets"];
type Asset = Assets["edges"][number]["node"];

const KIND: Record<Asset["kind"], string> = {
  FOLDER: "folder",
  DE: "data extension",
  QD: "query",
};

export function McAssets({ businessUnit }: { businessUnit: string }) {
  const [assets, setAssets] = useState<Asset[] | null>(null);
  const [report, setReport] = useState<Assets["report"] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [ask, choice] = useChoice();

  const load = useCallback(async () => {
    try {
      const nodes: Asset[] = [];
      let after: string | null = null;
      let last: Assets | null = null;
      for (let i = 0; i < 20; i += 1) {
        last = (await request(MceAssetsDocument, { after })).mceAssets;
        nodes.push(...last.edges.map((e) => e.node));
        if (!last.pageInfo.hasNextPage || !last.pageInfo.endCursor) break;
        after = last.pageInfo.endCursor;
      }
      setAssets(nodes);
      setReport(last?.report ?? null);
    } catch (error) {
      setProblem(describeProblem(error));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const purge = async () => {
    const answer = await ask({
      name: "purge-assets",
      title: "Delete all of Quarry's assets in Marketing Cloud?",
      message: (
        <>
          <p>
            Every folder, data extension and query Quarry made in {businessUnit} is deleted now.
            Runs in progress in this business unit are canceled, and kept results can no longer be
            read.
          </p>
          <p>Quarry makes new ones the next time someone runs a query.</p>
        </>
      ),
      choices: [
        { value: "purge", label: "Delete them all", tone: "danger" },
        { value: "cancel", label: "Cancel" },
      ],
    });
    if (answer !== "purge") return;
    setBusy(true);
    setNote(null);
    try {
      const data = await request(PurgeMceAssetsMutation, {});
      const result = data.purgeMceAssets;
      const refused = result.userErrors[0];
      if (refused) {
        setProblem(refused.message);
      } else {
        setProblem(null);
        setNote(
          `Deleted ${result.deleted} asset(s); ${result.canceledRuns} run(s) canceled.` +
            (result.failed.length
              ? ` Marketing Cloud refused ${result.failed.length}: ${result.failed.join(", ")} (kept, tried again later).`
              : ""),
        );
      }
      await load();
    } catch (error) {
      setProblem(describeProblem(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="account-section">
      <p className="muted">
        To run queries, Quarry keeps a folder, a pool of shell data extensions and their query
        definitions in each business unit. The recycler deletes idle ones beyond the pool.
      </p>
      {problem && (
        <p className="notice error" role="alert">
          {problem}
        </p>
      )}
      {note && (
        <p className="notice" role="status" data-field="purge-result">
          {note}
        </p>
      )}
      {report && (
        <dl className="report" data-testid="asset-report">
          <div>
            <dt>Assets</dt>
            <dd data-field="asset-total">{report.total}</dd>
          </div>
          {report.byState.map((s) => (
            <div key={s.state}>
              <dt>{s.state.toLowerCase()}</dt>
              <dd>{s.count}</dd>
            </div>
          ))}
          <div>
            <dt>Pool size</dt>
            <dd>{report.poolSize}</dd>
          </div>
          <div>
            <dt>Idle beyond the pool</dt>
            <dd>{report.idleBeyondPool}</dd>
          </div>
          <div>
            <dt>Failed deletions</dt>
            <dd>{report.failedDeletions}</dd>
          </div>
        </dl>
      )}
      <div>
        <button
          type="button"
          className="danger"
          disabled={busy || assets === null || assets.length === 0}
          onClick={() => void purge()}
          data-action="purge-assets"
        >
          Delete all now…
        </button>
      </div>
      {assets === null && !problem && <p className="muted">Loading…</p>}
      {assets?.length === 0 && <p className="muted">Quarry has nothing in Marketing Cloud here.</p>}
      {assets && assets.length > 0 && (
        <table className="table" data-testid="mce-assets">
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">State</th>
              <th scope="col">Uses</th>
              <th scope="col">Last used</th>
              <th scope="col">Note</th>
            </tr>
          </thead>
          <tbody>
            {assets.map((asset) => (
              <tr key={asset.id}>
                <td>{KIND[asset.kind]}</td>
                <td>{asset.name}</td>
                <td className="mono">{asset.customerKey}</td>
                <td>
                  {asset.state.toLowerCase()}
                  {asset.leasedUntil && asset.state === "LEASED"
                    ? ` until ${formatDateTime(asset.leasedUntil)}`
                    : ""}
                </td>
                <td className="num">{asset.useCount}</td>
                <td>{asset.lastUsedAt ? formatDateTime(asset.lastUsedAt) : "never"}</td>
                <td>{asset.note}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {choice}
    </div>
  );
}
