// Small statistics for the benchmark report: percentiles (nearest rank) and means.

/** The p-th percentile (0..100) of `values` by nearest rank; NaN when there are none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Arithmetic mean; NaN when there are no values. */
export function mean(values: number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((s, v) => s + v, 0) / values.length;
}

/** p50, p95, mean and max of a sample, in its own unit. */
export function summarise(values: number[]): { p50: number; p95: number; mean: number; max: number } {
  return {
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    mean: mean(values),
    max: values.length ? Math.max(...values) : Number.NaN,
  };
}
