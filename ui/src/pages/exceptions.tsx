// Exceptions: failed and dead runs waiting for a person, with their last error; resolve one (with
// the outcome the run could not reach) or dismiss it; the resolved ones with who did what.
import { useState } from "preact/hooks";
import { api } from "../api/endpoints";
import { ApiError } from "../api/http";
import type { RunException } from "../api/types";
import { Json, StatusBadge, Time } from "../components/format";
import { parseJsonField } from "../components/json-input";
import { Async, Empty, ErrorBox, FieldError } from "../components/states";
import { useResource } from "../hooks";

function Resolve({ item, onDone }: { item: RunException; onDone: () => void }) {
  const [action, setAction] = useState<"resolved" | "dismissed">("resolved");
  const [output, setOutput] = useState("");
  const [comment, setComment] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const id = item.run_id;

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const parsed = action === "resolved" ? parseJsonField("output", output) : {};
    if (parsed.error) {
      setErrors({ output: parsed.error });
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      await api.resolve(id, {
        action,
        ...(parsed.value !== undefined ? { output: parsed.value } : {}),
        ...(comment.trim() ? { comment } : {}),
      });
      onDone();
    } catch (err) {
      if (err instanceof ApiError && err.field && ["output", "comment", "action"].includes(err.field))
        setErrors({ [err.field]: err.message });
      else setError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate aria-label={`Resolve ${id}`}>
      <div class="row">
        <div class="field">
          <label for={`action-${id}`}>Action</label>
          <select id={`action-${id}`} value={action} onChange={(e) => setAction(e.currentTarget.value as "resolved" | "dismissed")}>
            <option value="resolved">resolve with an outcome</option>
            <option value="dismissed">dismiss</option>
          </select>
        </div>
      </div>
      {action === "resolved" && (
        <div class="field">
          <label for={`output-${id}`}>Outcome (JSON, optional)</label>
          <textarea
            id={`output-${id}`}
            class="mono"
            rows={3}
            value={output}
            onInput={(e) => setOutput(e.currentTarget.value)}
            aria-invalid={errors["output"] ? true : undefined}
            aria-describedby={`output-${id}-error`}
          />
          <FieldError id={`output-${id}-error`} error={errors["output"]} />
        </div>
      )}
      <div class="field">
        <label for={`resolve-comment-${id}`}>Comment</label>
        <input id={`resolve-comment-${id}`} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
        <FieldError id={`resolve-comment-${id}-error`} error={errors["comment"]} />
      </div>
      {error && <ErrorBox error={error} />}
      <button type="submit" disabled={busy}>
        {action === "resolved" ? "Resolve" : "Dismiss"}
      </button>
    </form>
  );
}

export function ExceptionsPage() {
  const [status, setStatus] = useState<"open" | "resolved">("open");
  const list = useResource(() => api.exceptions(status), [status], 5000);
  return (
    <section>
      <h1>Exceptions</h1>
      <p class="muted">Failed and dead runs wait here until a person resolves them with the outcome, or dismisses them.</p>
      <div class="filters">
        <div class="field">
          <label for="exception-status">Show</label>
          <select id="exception-status" value={status} onChange={(e) => setStatus(e.currentTarget.value as "open" | "resolved")}>
            <option value="open">open</option>
            <option value="resolved">resolved</option>
          </select>
        </div>
      </div>
      <Async res={list} what="exceptions">
        {({ exceptions }) =>
          exceptions.length === 0 ? (
            <Empty>No {status} exceptions.</Empty>
          ) : (
            <ul class="cards">
              {exceptions.map((x) => (
                <li key={x.run_id} class="card" data-exception={x.run_id}>
                  <h2>
                    <a href={`/runs/${x.run_id}`} class="mono">
                      {x.run_id}
                    </a>{" "}
                    <StatusBadge status={x.status} />
                  </h2>
                  <dl class="facts">
                    <dt>Agent</dt>
                    <dd>{x.agent}</dd>
                    <dt>Error</dt>
                    <dd>{x.error ? `${x.error.code}: ${x.error.message}` : "—"}</dd>
                    <dt>Ended</dt>
                    <dd>
                      <Time at={x.finished_at} /> after {x.attempts} attempt{x.attempts === 1 ? "" : "s"}
                    </dd>
                    {x.resolution && (
                      <>
                        <dt>Resolution</dt>
                        <dd>
                          {x.resolution.action} by {x.resolution.actor.type} {x.resolution.actor.id}, <Time at={x.resolution.at} />
                          {x.resolution.comment ? `: ${x.resolution.comment}` : ""}
                        </dd>
                      </>
                    )}
                  </dl>
                  {x.resolution ? (
                    x.resolution.output !== null &&
                    x.resolution.output !== undefined && <Json value={x.resolution.output} label="Outcome" />
                  ) : (
                    <Resolve item={x} onDone={() => void list.reload()} />
                  )}
                </li>
              ))}
            </ul>
          )
        }
      </Async>
    </section>
  );
}
