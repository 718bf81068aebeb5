// People's feedback on final runs (POST /v1/runs/:id/feedback, GET /v1/feedback): each row keeps the
// run's input, plan and output as they were when it was rated, so it exports as a training example.

import type { Actor } from "../domain/actor";
import { newId } from "../domain/ids";
import type { StoreSchema } from "../storage/migrations";

/** The feedback table, by schema step (src/storage/migrations.ts); released steps are never edited. */
export const FEEDBACK_SCHEMA: StoreSchema = {
  store: "feedback",
  steps: [
    `CREATE TABLE IF NOT EXISTS feedback (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, run_id TEXT NOT NULL,
      agent TEXT NOT NULL, rating TEXT NOT NULL, comment TEXT, correction TEXT, step INTEGER, actor_type TEXT NOT NULL,
      actor_id TEXT NOT NULL, input TEXT NOT NULL, plan TEXT, output TEXT, created_at INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS feedback_agent ON feedback (agent, seq);`,
  ],
};

export type Rating = "up" | "down";

/** A person's feedback as given, with the run it is about as it was then. */
export interface NewFeedback {
  run_id: string;
  agent: string;
  rating: Rating;
  comment: string | null;
  correction: unknown;
  step: number | null;
  actor: Actor;
  input: unknown;
  plan: unknown;
  output: unknown;
}

/** One feedback as the API shows it. */
export interface FeedbackView {
  id: string;
  run_id: string;
  agent: string;
  rating: Rating;
  comment: string | null;
  correction: unknown;
  step: number | null;
  actor: Actor;
  created_at: string;
}

/** One line of the NDJSON export: a training example. */
export interface TrainingExample {
  run_id: string;
  agent: string;
  input: unknown;
  plan: unknown;
  output: unknown;
  rating: Rating;
  comment: string | null;
  correction: unknown;
  created_at: string;
}

export interface FeedbackFilter {
  agent: string | null;
  rating: Rating | null;
  after: number;
  limit: number;
}

const enc = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
const dec = (v: SqlStorageValue | undefined): unknown => (typeof v === "string" ? JSON.parse(v) : null);

export class FeedbackStore {
  /** Opens the table of a storage already migrated to FEEDBACK_SCHEMA. */
  constructor(private readonly sql: SqlStorage) {}

  add(f: NewFeedback, now: number): FeedbackView {
    const id = newId("fb");
    this.sql.exec(
      `INSERT INTO feedback (id, run_id, agent, rating, comment, correction, step, actor_type, actor_id, input, plan, output, created_at)
       VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      id,
      f.run_id,
      f.agent,
      f.rating,
      f.comment,
      enc(f.correction),
      f.step,
      f.actor.type,
      f.actor.id,
      JSON.stringify(f.input),
      enc(f.plan),
      enc(f.output),
      now,
    );
    const { input: _i, plan: _p, output: _o, ...rest } = f;
    return { id, ...rest, correction: f.correction ?? null, created_at: new Date(now).toISOString() };
  }

  /** Feedback after the cursor (a position), oldest first, filtered by agent and rating. */
  list(f: FeedbackFilter): { feedback: FeedbackView[]; next_after: number } {
    const rows = this.rows(f);
    return { feedback: rows.map(view), next_after: nextAfter(rows, f.after) };
  }

  /** The same page as `list`, as training examples (input, plan and output of the rated run). */
  examples(f: FeedbackFilter): { examples: TrainingExample[]; next_after: number } {
    const rows = this.rows(f);
    const examples = rows.map((r) => {
      const v = view(r);
      return {
        run_id: v.run_id,
        agent: v.agent,
        input: dec(r.input),
        plan: dec(r.plan),
        output: dec(r.output),
        rating: v.rating,
        comment: v.comment,
        correction: v.correction,
        created_at: v.created_at,
      };
    });
    return { examples, next_after: nextAfter(rows, f.after) };
  }

  private rows(f: FeedbackFilter): Record<string, SqlStorageValue>[] {
    const where = ["seq > ?"];
    const args: SqlStorageValue[] = [f.after];
    if (f.agent !== null) {
      where.push("agent = ?");
      args.push(f.agent);
    }
    if (f.rating !== null) {
      where.push("rating = ?");
      args.push(f.rating);
    }
    return this.sql.exec(`SELECT * FROM feedback WHERE ${where.join(" AND ")} ORDER BY seq LIMIT ?`, ...args, f.limit).toArray();
  }
}

function view(r: Record<string, SqlStorageValue>): FeedbackView {
  return {
    id: r.id as string,
    run_id: r.run_id as string,
    agent: r.agent as string,
    rating: r.rating as Rating,
    comment: (r.comment as string | null) ?? null,
    correction: dec(r.correction),
    step: (r.step as number | null) ?? null,
    actor: { type: r.actor_type as Actor["type"], id: r.actor_id as string },
    created_at: new Date(r.created_at as number).toISOString(),
  };
}

const nextAfter = (rows: Record<string, SqlStorageValue>[], after: number): number => {
  const last = rows[rows.length - 1];
  return last ? (last.seq as number) : after;
};
