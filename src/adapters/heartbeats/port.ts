// The Heartbeats port: worker liveness for GET /v1/workers. Adapters: durable (a Durable Object), upstash.

export interface WorkerBeat {
  id: string;
  lane: string;
  last_beat_at: string;
  runs_in_flight: number;
}

export interface Heartbeats {
  /** Records that `workerId` on `lane` is alive with `runsInFlight` runs; forgotten after `ttlMs`. */
  beat(workerId: string, lane: string, runsInFlight: number, ttlMs: number): Promise<void>;
  /** Marks a worker as gone (it finished its batch). */
  stop(workerId: string): Promise<void>;
  /** Workers whose last beat is younger than their TTL. */
  list(): Promise<WorkerBeat[]>;
}
