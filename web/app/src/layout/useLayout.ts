// Pane sizes, kept in the browser for the next visit.
import { useEffect, useState } from "react";
import { browserStorage } from "../storage";

export interface LayoutSizes {
  sidebar: number;
  results: number;
}

const KEY = "quarry.layout.v1";
const DEFAULTS: LayoutSizes = { sidebar: 290, results: 300 };

function read(): LayoutSizes {
  try {
    const value = JSON.parse(
      browserStorage()?.getItem(KEY) ?? "null",
    ) as Partial<LayoutSizes> | null;
    return {
      sidebar: typeof value?.sidebar === "number" ? value.sidebar : DEFAULTS.sidebar,
      results: typeof value?.results === "number" ? value.results : DEFAULTS.results,
    };
  } catch {
    return DEFAULTS;
  }
}

export function useLayout(): [LayoutSizes, (change: Partial<LayoutSizes>) => void] {
  const [sizes, setSizes] = useState(read);
  useEffect(() => {
    const timer = setTimeout(() => {
      try {
        browserStorage()?.setItem(KEY, JSON.stringify(sizes));
      } catch {
        // not kept: fine
      }
    }, 300);
    return () => clearTimeout(timer);
  }, [sizes]);
  return [sizes, (change) => setSizes((old) => ({ ...old, ...change }))];
}
