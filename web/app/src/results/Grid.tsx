// The result grid: a virtualized window over the run's rows (TanStack Virtual), reading the
// pages the buffer holds by index. Keyboard: arrows, Page Up/Down, Home/End, Ctrl+Home/End,
// Shift to extend the selection, Ctrl+A; Ctrl+C (or the Copy button) copies it as TSV.
import { useVirtualizer } from "@tanstack/react-virtual";
import {
  forwardRef,
  type KeyboardEvent,
  type ClipboardEvent as ReactClipboardEvent,
  useImperativeHandle,
  useMemo,
  useRef,
  useState,
} from "react";
import type { ResultBuffer } from "./buffer";
import { columnWidth, formatCell, isRightAligned, toTsv } from "./format";
import type { RunColumn } from "./operations";

export const ROW_HEIGHT = 24;
const NUMBER_WIDTH = 64;

interface Point {
  row: number;
  col: number;
}

export interface GridHandle {
  /** Copy the selection (or the active row) as TSV through the clipboard's copy event. */
  copySelection(withHeader: boolean): void;
  focus(): void;
}

interface Props {
  columns: readonly RunColumn[];
  rows: ResultBuffer;
  rowsVersion: number;
  total: number;
}

function clamp(value: number, low: number, high: number): number {
  return Math.max(low, Math.min(high, value));
}

export const Grid = forwardRef<GridHandle, Props>(function Grid(
  { columns, rows, rowsVersion, total },
  ref,
) {
  const scroller = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState<Point>({ row: 0, col: 0 });
  const [anchor, setAnchor] = useState<Point>({ row: 0, col: 0 });
  const pendingCopy = useRef<{ withHeader: boolean } | null>(null);
  const widths = useMemo(
    () => columns.map((c) => columnWidth(c.name, c.fieldType, c.length)),
    [columns],
  );
  const offsets = useMemo(() => {
    const result: number[] = [];
    let x = NUMBER_WIDTH;
    for (const w of widths) {
      result.push(x);
      x += w;
    }
    return { starts: result, total: x };
  }, [widths]);

  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 6,
  });

  const top = Math.min(active.row, anchor.row);
  const bottom = Math.max(active.row, anchor.row);
  const left = Math.min(active.col, anchor.col);
  const right = Math.max(active.col, anchor.col);

  const selectionTsv = (withHeader: boolean): string => {
    const picked = rows.slice(top, bottom + 1).map((row) => row.slice(left, right + 1));
    const header = withHeader ? columns.slice(left, right + 1).map((c) => c.name) : undefined;
    return toTsv(picked, header);
  };

  useImperativeHandle(ref, () => ({
    copySelection(withHeader: boolean) {
      pendingCopy.current = { withHeader };
      scroller.current?.focus();
      document.execCommand("copy");
      pendingCopy.current = null;
    },
    focus() {
      scroller.current?.focus();
    },
  }));

  const onCopy = (event: ReactClipboardEvent<HTMLDivElement>) => {
    const withHeader = pendingCopy.current?.withHeader ?? false;
    event.clipboardData.setData("text/plain", selectionTsv(withHeader));
    event.preventDefault();
  };

  const moveTo = (next: Point, extend: boolean) => {
    const point = {
      row: clamp(next.row, 0, Math.max(0, total - 1)),
      col: clamp(next.col, 0, columns.length - 1),
    };
    setActive(point);
    if (!extend) setAnchor(point);
    virtualizer.scrollToIndex(point.row, { align: "auto" });
    const container = scroller.current;
    if (container) {
      const x = offsets.starts[point.col] ?? 0;
      const w = widths[point.col] ?? 0;
      if (x < container.scrollLeft + NUMBER_WIDTH) container.scrollLeft = x - NUMBER_WIDTH;
      else if (x + w > container.scrollLeft + container.clientWidth)
        container.scrollLeft = x + w - container.clientWidth;
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const page = Math.max(1, Math.floor((scroller.current?.clientHeight ?? 240) / ROW_HEIGHT) - 1);
    const mod = event.ctrlKey || event.metaKey;
    const extend = event.shiftKey;
    const target = ((): Point | null => {
      switch (event.key) {
        case "ArrowDown":
          return { row: active.row + 1, col: active.col };
        case "ArrowUp":
          return { row: active.row - 1, col: active.col };
        case "ArrowRight":
          return { row: active.row, col: active.col + 1 };
        case "ArrowLeft":
          return { row: active.row, col: active.col - 1 };
        case "PageDown":
          return { row: active.row + page, col: active.col };
        case "PageUp":
          return { row: active.row - page, col: active.col };
        case "Home":
          return mod ? { row: 0, col: 0 } : { row: active.row, col: 0 };
        case "End":
          return mod
            ? { row: total - 1, col: columns.length - 1 }
            : { row: active.row, col: columns.length - 1 };
        default:
          return null;
      }
    })();
    if (target) {
      event.preventDefault();
      moveTo(target, extend);
      return;
    }
    if (mod && event.key.toLowerCase() === "a") {
      event.preventDefault();
      setAnchor({ row: 0, col: 0 });
      setActive({ row: Math.max(0, total - 1), col: columns.length - 1 });
    }
  };

  const items = virtualizer.getVirtualItems();
  void rowsVersion; // re-render when rows arrive

  return (
    <div
      ref={scroller}
      className="grid-scroller"
      role="grid"
      aria-label="Query results"
      aria-rowcount={total + 1}
      aria-colcount={columns.length + 1}
      aria-multiselectable="true"
      aria-activedescendant={total > 0 ? `cell-${active.row}-${active.col}` : undefined}
      tabIndex={0}
      onKeyDown={onKeyDown}
      onCopy={onCopy}
      data-testid="results-grid"
    >
      <div
        className="grid-canvas"
        style={{ width: offsets.total, height: virtualizer.getTotalSize() + ROW_HEIGHT }}
      >
        <div
          className="grid-row grid-header"
          role="row"
          aria-rowindex={1}
          style={{ width: offsets.total }}
        >
          <div
            className="grid-cell grid-rownum"
            role="columnheader"
            style={{ width: NUMBER_WIDTH }}
          >
            #
          </div>
          {columns.map((column, index) => (
            <div
              key={column.name + index}
              role="columnheader"
              className={`grid-cell${isRightAligned(column.fieldType) ? " num" : ""}`}
              style={{ width: widths[index] }}
              title={`${column.name}: ${column.fieldType}${column.length ? `(${column.length})` : ""}`}
            >
              <span className="col-name">{column.name}</span>
              <span className="col-type">{column.fieldType.toLowerCase().replace("_", " ")}</span>
            </div>
          ))}
        </div>
        {items.map((item) => {
          const row = rows.row(item.index);
          const inRows = item.index >= top && item.index <= bottom;
          return (
            <div
              key={item.key}
              role="row"
              aria-rowindex={item.index + 2}
              className={`grid-row${item.index % 2 ? " alt" : ""}`}
              style={{
                top: item.start + ROW_HEIGHT,
                width: offsets.total,
              }}
              data-row={item.index}
            >
              <div
                className="grid-cell grid-rownum"
                role="rowheader"
                style={{ width: NUMBER_WIDTH }}
                onMouseDown={(event) => {
                  event.preventDefault();
                  scroller.current?.focus();
                  if (event.shiftKey) setActive({ row: item.index, col: columns.length - 1 });
                  else {
                    setAnchor({ row: item.index, col: 0 });
                    setActive({ row: item.index, col: columns.length - 1 });
                  }
                }}
              >
                {item.index + 1}
              </div>
              {columns.map((column, col) => {
                const selected = inRows && col >= left && col <= right;
                const isActive = item.index === active.row && col === active.col;
                if (!row) {
                  return (
                    <div
                      key={col}
                      id={`cell-${item.index}-${col}`}
                      role="gridcell"
                      aria-busy="true"
                      className="grid-cell pending"
                      style={{ width: widths[col] }}
                    >
                      {col === 0 ? "…" : ""}
                    </div>
                  );
                }
                const cell = formatCell(row[col], column.fieldType);
                return (
                  <div
                    key={col}
                    id={`cell-${item.index}-${col}`}
                    role="gridcell"
                    aria-selected={selected}
                    className={`grid-cell ${cell.kind}${isRightAligned(column.fieldType) ? " num" : ""}${selected ? " selected" : ""}${isActive ? " active" : ""}`}
                    style={{ width: widths[col] }}
                    onMouseDown={(event) => {
                      event.preventDefault();
                      scroller.current?.focus();
                      const point = { row: item.index, col };
                      setActive(point);
                      if (!event.shiftKey) setAnchor(point);
                    }}
                  >
                    {cell.text}
                    {cell.zone && <span className="zone"> {cell.zone}</span>}
                  </div>
                );
              })}
            </div>
          );
        })}
      </div>
    </div>
  );
});
