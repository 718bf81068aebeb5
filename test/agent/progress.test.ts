// The worker's progress reporter: notes go out at once (the run object's stub keeps them in order),
// settled() waits for every one, the last answer says whether anyone still watches, and a lost
// note is only a missed live update.
import { describe, expect, it } from "vitest";
import { ProgressReporter } from "../../src/agent/progress";
import type { Progress } from "../../src/run/protocol";

/** A sender whose answers the test gives, one per note, in any order. */
function controlledSender() {
  const sent: { note: Progress; answer: (watched: boolean) => void; fail: (e: Error) => void }[] = [];
  const send = (note: Progress) =>
    new Promise<boolean>((answer, fail) => {
      sent.push({ note, answer, fail });
    });
  return { sent, send };
}

describe("progress reporter", () => {
  it("sends each note without waiting for the answer to the one before, and settles once all are answered", async () => {
    const { sent, send } = controlledSender();
    const r = new ProgressReporter(send, true);
    r.note(1, 1, { kind: "model.started", call: 1 });
    r.note(1, 1, { kind: "model.finished", call: 1 });
    r.note(1, 1, { kind: "tool.started", call: 1 });
    expect(sent.map((s) => s.note.kind)).toEqual(["model.started", "model.finished", "tool.started"]);
    let settled = false;
    const done = r.settled().then(() => {
      settled = true;
    });
    sent[2]!.answer(false);
    sent[0]!.answer(true);
    await Promise.resolve();
    expect(settled).toBe(false);
    sent[1]!.fail(new Error("lost"));
    await done;
    expect(settled).toBe(true);
  });

  it("sends nothing while nobody watches, and stops after an answer that says so", async () => {
    const { sent, send } = controlledSender();
    const r = new ProgressReporter(send, false);
    r.note(1, 1, { kind: "model.started", call: 1 });
    expect(sent).toHaveLength(0);
    r.watched = true;
    r.note(1, 1, { kind: "model.started", call: 1 });
    sent[0]!.answer(false);
    await r.settled();
    r.note(1, 1, { kind: "model.finished", call: 1 });
    expect(sent).toHaveLength(1);
  });
});
