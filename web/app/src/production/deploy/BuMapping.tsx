// Where the deployment would land in each business unit chosen: the target found there by
// its key (or not: then it is created when asked), and the pre-flight check of that BU (from
// its metadata cache; nothing is sent to Marketing Cloud).
import { useEffect, useState } from "react";
import { request } from "../../api/http";
import { describeProblem } from "../../api/problems";
import type { UpdateType } from "../../gql/graphql";
import { businessUnitLabel, type ProductionHost } from "../host";
import { CheckQueryTargetQuery } from "../preflight/operations";
import type { PreflightReport } from "../preflight/Report";

export interface BuCheck {
  mid: string;
  report: PreflightReport | null;
  /** The target is not in this BU's cache. */
  missing: boolean;
  message: string | null;
}

export function useBuChecks(
  sql: string,
  targetKey: string | null,
  updateType: UpdateType,
  mids: readonly string[],
): { checks: BuCheck[]; checking: boolean } {
  const [checks, setChecks] = useState<BuCheck[]>([]);
  const [checking, setChecking] = useState(false);
  const midsKey = mids.join(",");
  useEffect(() => {
    if (!targetKey) {
      setChecks([]);
      return;
    }
    let current = true;
    setChecking(true);
    const timer = setTimeout(() => {
      Promise.all(
        midsKey.split(",").map(async (mid): Promise<BuCheck> => {
          try {
            const data = await request(CheckQueryTargetQuery, { sql, targetKey, updateType, mid });
            const answer = data.checkQueryTarget;
            const notFound = answer.userErrors.find((e) => e.field === "targetKey");
            return {
              mid,
              report: answer.report,
              missing: !!notFound,
              message: answer.userErrors.map((e) => e.message).join(" ") || null,
            };
          } catch (error) {
            return { mid, report: null, missing: false, message: describeProblem(error) };
          }
        }),
      )
        .then((found) => current && setChecks(found))
        .finally(() => current && setChecking(false));
    }, 250);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [sql, targetKey, updateType, midsKey]);
  return { checks, checking };
}

export function BuMapping({
  checks,
  checking,
  host,
  createMissing,
}: {
  checks: readonly BuCheck[];
  checking: boolean;
  host: ProductionHost;
  createMissing: boolean;
}) {
  if (checks.length === 0) return null;
  return (
    <table className="q-table bu-mapping" aria-label="Per business unit" aria-busy={checking}>
      <thead>
        <tr>
          <th scope="col">Business unit</th>
          <th scope="col">Target there</th>
          <th scope="col">Pre-flight</th>
        </tr>
      </thead>
      <tbody>
        {checks.map((check) => {
          const findings = check.report?.findings ?? [];
          const errors = findings.filter((f) => f.severity === "ERROR").length;
          const warnings = findings.filter((f) => f.severity === "WARNING").length;
          return (
            <tr key={check.mid} data-mid={check.mid}>
              <th scope="row">{businessUnitLabel(host.viewer, check.mid)}</th>
              <td>
                {check.report ? (
                  <>
                    {check.report.target.name}{" "}
                    <span className="muted">({check.report.target.sqlName})</span>
                  </>
                ) : check.missing ? (
                  <span className={createMissing ? "muted" : "warn"}>
                    {createMissing
                      ? "created there (not found)"
                      : "not found here: ask for it to be created, or refresh that BU's metadata"}
                  </span>
                ) : (
                  <span className="error">{check.message}</span>
                )}
              </td>
              <td>
                {check.report
                  ? errors
                    ? `${errors} ${errors === 1 ? "error" : "errors"}${warnings ? `, ${warnings} ${warnings === 1 ? "warning" : "warnings"}` : ""}`
                    : warnings
                      ? `${warnings} ${warnings === 1 ? "warning" : "warnings"}`
                      : "clean"
                  : ""}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
