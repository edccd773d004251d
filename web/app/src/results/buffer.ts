// A run's rows as they arrive: pages stay the arrays the API sent (no object per row), read
// by index. Pages must follow each other: a page starting before the rows held is trimmed (a
// resumed stream never duplicates), one starting after them is a gap and refused.

export type Row = readonly unknown[];

export interface ResultPage {
  offset: number;
  rows: readonly Row[];
  total: number;
  last: boolean;
}

export class GapError extends Error {
  constructor(expected: number, got: number) {
    super(`Rows ${expected} to ${got} are missing from the stream.`);
    this.name = "GapError";
  }
}

export class ResultBuffer {
  private readonly chunks: Row[][] = [];
  private readonly starts: number[] = [];
  private loaded = 0;
  private totalRows: number | null = null;
  private finished = false;

  /** How many rows are held (also the offset to resume from). */
  get size(): number {
    return this.loaded;
  }

  /** The result's row count, once a page said it. */
  get total(): number | null {
    return this.totalRows;
  }

  get complete(): boolean {
    return this.finished;
  }

  /** Take a page; returns how many new rows it added. */
  accept(page: ResultPage): number {
    if (page.offset > this.loaded) throw new GapError(this.loaded, page.offset);
    this.totalRows = page.total;
    const skip = this.loaded - page.offset;
    const fresh = skip > 0 ? page.rows.slice(skip) : page.rows;
    if (fresh.length > 0) {
      this.starts.push(this.loaded);
      this.chunks.push(fresh as Row[]);
      this.loaded += fresh.length;
    }
    if (page.last) this.finished = true;
    return fresh.length;
  }

  /** Row `index`, or undefined while it has not arrived. */
  row(index: number): Row | undefined {
    if (index < 0 || index >= this.loaded) return undefined;
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.starts[mid]! <= index) low = mid;
      else high = mid - 1;
    }
    return this.chunks[low]![index - this.starts[low]!];
  }

  /** Rows `from` to `to` (exclusive) that have arrived. */
  slice(from: number, to: number): Row[] {
    const rows: Row[] = [];
    for (let i = Math.max(0, from); i < Math.min(to, this.loaded); i += 1) rows.push(this.row(i)!);
    return rows;
  }
}
