// Counts the SQLite rows an object writes, as Durable Objects bill them (`rowsWritten` of each
// statement, index entries included), through a SqlStorage whose `exec` is observed.

/** A SqlStorage whose writes can be counted over a synchronous stretch of work. */
export interface RowCounter {
  readonly sql: SqlStorage;
  /** Runs `fn` and returns its result with the rows written by the statements it executed. */
  measure<T>(fn: () => T): { result: T; rows: number };
}

type Cursor = SqlStorageCursor<Record<string, SqlStorageValue>>;

/**
 * Wraps `sql`. Cursors are kept only while `measure` runs, then their `rowsWritten` are added up
 * (a cursor's count is final once it has been read, as every store does at once).
 */
export function countRows(sql: SqlStorage): RowCounter {
  let collecting: Cursor[] | null = null;
  const exec = (query: string, ...params: unknown[]): Cursor => {
    const cursor = sql.exec(query, ...params);
    collecting?.push(cursor);
    return cursor;
  };
  const counted = new Proxy(sql, {
    get(target, prop) {
      if (prop === "exec") return exec;
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return {
    sql: counted,
    measure<T>(fn: () => T) {
      const outer = collecting;
      const mine: Cursor[] = [];
      collecting = mine;
      try {
        const result = fn();
        let rows = 0;
        for (const c of mine) rows += c.rowsWritten;
        outer?.push(...mine);
        return { result, rows };
      } finally {
        collecting = outer;
      }
    },
  };
}

/** The calls an object received for one job and the rows they wrote, since the instance started. */
export interface CallCosts {
  requests: number;
  rows_written: number;
  /** When this instance started counting (ISO 8601): the counts are kept in memory. */
  since: string;
}

/** Counts one job's calls and their rows in an object (its share of what many runs cost). */
export class CallCounter {
  private readonly rows: RowCounter;
  private readonly costs: CallCosts = { requests: 0, rows_written: 0, since: new Date().toISOString() };

  constructor(sql: SqlStorage) {
    this.rows = countRows(sql);
  }

  /** The SqlStorage whose writes `call` counts. */
  get sql(): SqlStorage {
    return this.rows.sql;
  }

  /** Runs one call's work, counting the call and the rows it writes. */
  call<T>(fn: () => T): T {
    const { result, rows } = this.rows.measure(fn);
    this.costs.requests++;
    this.costs.rows_written += rows;
    return result;
  }

  snapshot(): CallCosts {
    return { ...this.costs };
  }
}
