// Collects one row per injected fault and prints the fault table with its totals.

export interface FaultRow {
  fault: string;
  expected: string;
  outcome: string;
  runsLost: number;
  stepsCommittedTwice: number;
  eventsDuplicated: number;
  pass: boolean;
}

const rows: FaultRow[] = [];

export function record(row: FaultRow): void {
  rows.push(row);
}

/** Counts what must never happen in a run's log: a step completed twice, duplicated or missing events. */
export function audit(events: any[]): { stepsCommittedTwice: number; eventsDuplicated: number } {
  const completed = new Map<number, number>();
  for (const e of events) if (e.type === "step.completed") completed.set(e.data.step, (completed.get(e.data.step) ?? 0) + 1);
  const stepsCommittedTwice = [...completed.values()].filter((n) => n > 1).length;
  let eventsDuplicated = 0;
  events.forEach((e, i) => {
    if (e.seq !== i + 1) eventsDuplicated++;
  });
  const key = (e: any) => (e.type === "model.call" ? `${e.type}:${e.data.step}:${e.data.attempt}:${e.data.call}` : null);
  const seen = new Set<string>();
  for (const e of events) {
    const k = key(e);
    if (!k) continue;
    if (seen.has(k)) eventsDuplicated++;
    seen.add(k);
  }
  const started = events.filter((e) => e.type === "run.started").length;
  if (started > 1) eventsDuplicated += started - 1;
  return { stepsCommittedTwice, eventsDuplicated };
}

/** The table of the faults recorded in this test file, under `title` (the suite and its ledger). */
export function printTable(title: string): string {
  const head = ["fault", "expected", "outcome", "lost", "doubled steps", "dup events", "pass"];
  const body = rows.map((r) => [
    r.fault,
    r.expected,
    r.outcome,
    String(r.runsLost),
    String(r.stepsCommittedTwice),
    String(r.eventsDuplicated),
    r.pass ? "yes" : "NO",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  const sum = (f: (r: FaultRow) => number) => rows.reduce((s, r) => s + f(r), 0);
  return [
    title,
    line(head),
    line(widths.map((w) => "-".repeat(w))),
    ...body.map(line),
    "",
    `faults injected: ${rows.length}, passed: ${rows.filter((r) => r.pass).length}`,
    `runs lost: ${sum((r) => r.runsLost)}, steps committed twice: ${sum((r) => r.stepsCommittedTwice)}, events duplicated: ${sum((r) => r.eventsDuplicated)}`,
  ].join("\n");
}
