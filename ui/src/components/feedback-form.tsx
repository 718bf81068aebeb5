// Feedback on a final run from its page: thumbs up or down, a comment, and optionally the answer
// it should have given (JSON or text).
import { useState } from "preact/hooks";
import { api } from "../api/endpoints";
import { ApiError } from "../api/http";
import type { Feedback } from "../api/types";
import { ErrorBox, FieldError } from "./states";

export function FeedbackForm({ runId }: { runId: string }) {
  const [comment, setComment] = useState("");
  const [correction, setCorrection] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<Error | null>(null);
  const [given, setGiven] = useState<Feedback | null>(null);
  const [busy, setBusy] = useState(false);

  const send = async (rating: "up" | "down") => {
    setBusy(true);
    setError(null);
    setErrors({});
    let value: unknown = correction;
    try {
      value = JSON.parse(correction);
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
    }
    try {
      setGiven(
        await api.giveFeedback(runId, {
          rating,
          ...(comment.trim() ? { comment } : {}),
          ...(correction.trim() ? { correction: value } : {}),
        }),
      );
      setComment("");
      setCorrection("");
    } catch (err) {
      if (err instanceof ApiError && err.field && ["comment", "correction"].includes(err.field)) setErrors({ [err.field]: err.message });
      else setError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card" onSubmit={(e) => e.preventDefault()} noValidate aria-labelledby="feedback-title">
      <h2 id="feedback-title">Feedback</h2>
      <div class="field">
        <label for="feedback-comment">Comment</label>
        <input
          id="feedback-comment"
          value={comment}
          onInput={(e) => setComment(e.currentTarget.value)}
          aria-describedby="feedback-comment-error"
        />
        <FieldError id="feedback-comment-error" error={errors["comment"]} />
      </div>
      <div class="field">
        <label for="feedback-correction">Correction: what the answer should have been (optional)</label>
        <textarea
          id="feedback-correction"
          rows={2}
          value={correction}
          onInput={(e) => setCorrection(e.currentTarget.value)}
          aria-describedby="feedback-correction-error"
        />
        <FieldError id="feedback-correction-error" error={errors["correction"]} />
      </div>
      {error && <ErrorBox error={error} />}
      <div class="actions">
        <button type="button" disabled={busy} onClick={() => void send("up")}>
          👍 Good
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={() => void send("down")}>
          👎 Needs work
        </button>
      </div>
      {given && (
        <p class="state notice" role="status">
          Thanks: feedback {given.id} ({given.rating}) saved.
        </p>
      )}
    </form>
  );
}
