// Printing: the API's JSON (one line, for scripts) with --json, readable tables and lines otherwise.

import type { Context } from "./context";

type Row = Record<string, unknown>;

export function line(text = ""): void {
  process.stdout.write(`${text}\n`);
}

/** One JSON value on one line (NDJSON when called once per event). */
export function jsonLine(value: unknown): void {
  line(JSON.stringify(value));
}

/** The API's answer: one JSON line with --json, else indented JSON. */
export function printValue(ctx: Context, value: unknown): void {
  if (ctx.json) jsonLine(value);
  else line(JSON.stringify(value, null, 2));
}

/** A cell's text: strings as they are, objects as compact JSON, nothing for null. */
export function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** Shortens `text` to `max` characters with an ellipsis. */
export function clip(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Rows as aligned columns under upper-case headers; `empty` when there are none. */
export function table(rows: Row[], columns: (string | [string, (row: Row) => unknown])[], empty: string): void {
  if (rows.length === 0) {
    line(empty);
    return;
  }
  const cols = columns.map((c) => (typeof c === "string" ? ([c, (r: Row) => r[c]] as const) : c));
  const cells = rows.map((r) => cols.map(([, get]) => clip(cell(get(r)), 60)));
  const widths = cols.map(([name], i) => Math.max(name.length, ...cells.map((row) => row[i]!.length)));
  const render = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  line(render(cols.map(([name]) => name.toUpperCase())));
  for (const row of cells) line(render(row));
}

/** Time between two ISO timestamps, as "45ms", "3.2s" or "2m 5s"; null when either is missing. */
export function duration(from: unknown, to: unknown): string | null {
  if (typeof from !== "string" && typeof from !== "number") return null;
  if (typeof to !== "string" && typeof to !== "number") return null;
  const ms = new Date(to).getTime() - new Date(from).getTime();
  if (!Number.isFinite(ms) || ms < 0) return null;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;
}
