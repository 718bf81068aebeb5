// Bounded concurrency for the benchmark: a fixed number of lanes take the next task in turn.

/** Runs `task(i)` for i in 0..count-1 with at most `limit` in flight; results keep their order. */
export async function pool<T>(count: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
  return out;
}
