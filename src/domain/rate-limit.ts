// A sliding-window rate limiter (two fixed windows weighted), pure and in memory.

export type Take = { ok: true } | { ok: false; retryAfterSeconds: number };

export class SlidingWindow {
  private windowStart = 0;
  private current = 0;
  private previous = 0;

  /** `limit` events per `windowMs` (default one minute). A limit of 0 disables the limiter. */
  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
  ) {}

  /** Records one event at `now` (epoch ms) if the limit allows it. */
  take(now: number): Take {
    const verdict = this.check(now);
    if (verdict.ok && this.limit > 0) this.current++;
    return verdict;
  }

  /** Whether one more event at `now` would be allowed, without recording it. */
  check(now: number): Take {
    if (this.limit <= 0) return { ok: true };
    const start = now - (now % this.windowMs);
    if (start !== this.windowStart) {
      this.previous = start - this.windowStart === this.windowMs ? this.current : 0;
      this.current = 0;
      this.windowStart = start;
    }
    const weight = 1 - (now - start) / this.windowMs;
    const estimate = this.previous * weight + this.current;
    if (estimate + 1 > this.limit) {
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((start + this.windowMs - now) / 1000)) };
    }
    return { ok: true };
  }
}
