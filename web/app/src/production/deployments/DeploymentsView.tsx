// Your deployments made from this BU, newest first, filtered by BU, status or activity key;
// beside the list, the one picked in detail.
import { useEffect, useState } from "react";
import { request } from "../../api/http";
import { describeProblem } from "../../api/problems";
import type { DeploymentStatus, DeploymentsQuery as DeploymentsData } from "../../gql/graphql";
import { Dialog } from "../common/Dialog";
import { when } from "../common/format";
import { statusText } from "../deploy/progress";
import { businessUnitLabel, type ProductionHost } from "../host";
import { DeploymentDetail } from "./DeploymentDetail";
import { DeploymentsQuery } from "./operations";
import { requesterText } from "./requester";

type Item = DeploymentsData["deployments"]["edges"][number]["node"];

const STATUSES: readonly DeploymentStatus[] = [
  "PENDING",
  "RUNNING",
  "SUCCEEDED",
  "PARTIAL",
  "FAILED",
];

export function DeploymentsView({ host, onClose }: { host: ProductionHost; onClose: () => void }) {
  const [mid, setMid] = useState("");
  const [status, setStatus] = useState<"" | DeploymentStatus>("");
  const [keyText, setKeyText] = useState("");
  const [activityKey, setActivityKey] = useState("");
  const [items, setItems] = useState<Item[] | null>(null);
  const [after, setAfter] = useState<string | null>(null);
  const [more, setMore] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [picked, setPicked] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const timer = setTimeout(() => setActivityKey(keyText.trim()), 300);
    return () => clearTimeout(timer);
  }, [keyText]);

  const load = async (cursor: string | null) => {
    const data = await request(DeploymentsQuery, {
      after: cursor,
      mid: mid || null,
      status: status || null,
      activityKey: activityKey || null,
    });
    return data.deployments;
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: the filters and a refresh reload
  useEffect(() => {
    let current = true;
    setProblem(null);
    load(null)
      .then((page) => {
        if (!current) return;
        const list = page.edges.map((e) => e.node);
        setItems(list);
        setAfter(page.pageInfo.endCursor);
        setMore(page.pageInfo.hasNextPage);
        setPicked((p) => p ?? list[0]?.id ?? null);
      })
      .catch((error) => current && setProblem(describeProblem(error)));
    return () => {
      current = false;
    };
  }, [mid, status, activityKey, generation]);

  const loadMore = async () => {
    try {
      const page = await load(after);
      setItems((list) => [...(list ?? []), ...page.edges.map((e) => e.node)]);
      setAfter(page.pageInfo.endCursor);
      setMore(page.pageInfo.hasNextPage);
    } catch (error) {
      setProblem(describeProblem(error));
    }
  };

  return (
    <Dialog
      title="Deployments"
      name="deployments"
      size="full"
      onClose={onClose}
      subtitle="Your query activity deployments made from this business unit."
    >
      <div className="deployments">
        <div className="deployments-list">
          <fieldset className="deployments-filters">
            <legend className="visually-hidden">Filter deployments</legend>
            <label>
              Business unit{" "}
              <select value={mid} onChange={(e) => setMid(e.target.value)} data-field="filter-mid">
                <option value="">all</option>
                {host.viewer.availableBusinessUnits.map((bu) => (
                  <option key={bu.mid} value={bu.mid}>
                    {businessUnitLabel(host.viewer, bu.mid)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Status{" "}
              <select
                value={status}
                onChange={(e) => setStatus(e.target.value as "" | DeploymentStatus)}
                data-field="filter-status"
              >
                <option value="">all</option>
                {STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {statusText(s)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Activity key{" "}
              <input
                type="search"
                value={keyText}
                onChange={(e) => setKeyText(e.target.value)}
                placeholder="exact key"
                data-field="filter-key"
              />
            </label>
          </fieldset>
          {problem && <p className="error">{problem}</p>}
          {items === null && !problem && <p className="muted">Loading…</p>}
          {items?.length === 0 && (
            <p className="muted">
              No deployments{mid || status || activityKey ? " match" : " yet"}.
            </p>
          )}
          <ul className="deployment-items" aria-label="Deployments">
            {items?.map((item) => (
              <li key={item.id}>
                <button
                  type="button"
                  className={`deployment-item${item.id === picked ? " picked" : ""}`}
                  aria-current={item.id === picked ? "true" : undefined}
                  onClick={() => setPicked(item.id)}
                  data-deployment={item.id}
                  data-activity={item.activityKey}
                >
                  <span className="deployment-title">
                    {item.activityName}{" "}
                    <span className={`badge deploy-${item.status.toLowerCase()}`}>
                      {statusText(item.status)}
                    </span>
                  </span>
                  <span className="muted">
                    <code>{item.activityKey}</code> → {item.target.name ?? item.target.key} ·{" "}
                    {item.updateType.toLowerCase()} ·{" "}
                    {item.mids.length === 1
                      ? "1 business unit"
                      : `${item.mids.length} business units`}
                    {item.rollbackOf ? " · rollback" : ""}
                  </span>
                  <span
                    className="muted"
                    data-field="requested-by"
                    data-user={item.requestedBy?.id}
                  >
                    {requesterText(item.requestedBy, host.viewer)}, {when(item.createdAt)}
                  </span>
                </button>
              </li>
            ))}
          </ul>
          {more && (
            <button type="button" onClick={() => void loadMore()}>
              Load more
            </button>
          )}
        </div>
        <div className="deployments-detail">
          {picked ? (
            <DeploymentDetail
              key={picked}
              id={picked}
              host={host}
              onOpened={onClose}
              onRolledBack={(id) => {
                setPicked(id);
                setGeneration((g) => g + 1);
              }}
              onChanged={() => setGeneration((g) => g + 1)}
            />
          ) : (
            <p className="muted">Pick a deployment to see it.</p>
          )}
        </div>
      </div>
    </Dialog>
  );
}
