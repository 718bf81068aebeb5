// Approvals: the pending ones (or any status) with their tool, input and expiry; approve or reject
// with a comment and an edited input, checked as JSON before it is sent, the API's error at the field.
import { useState } from "preact/hooks";
import { api } from "../api/endpoints";
import { ApiError } from "../api/http";
import type { Approval } from "../api/types";
import { Json, StatusBadge, Time } from "../components/format";
import { Async, Empty, ErrorBox, FieldError } from "../components/states";
import { useResource } from "../hooks";

const STATUSES: Approval["status"][] = ["pending", "approved", "rejected", "expired"];

function expiresIn(at: string): string {
  const ms = Date.parse(at) - Date.now();
  if (ms <= 0) return "expired";
  const min = Math.round(ms / 60_000);
  return min < 90 ? `in ${min} min` : `in ${Math.round(min / 60)} h`;
}

function Decide({ approval, onDecided }: { approval: Approval; onDecided: (a: Approval) => void }) {
  const original = JSON.stringify(approval.input, null, 2);
  const [input, setInput] = useState(original);
  const [comment, setComment] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { input: `input-${approval.id}`, comment: `comment-${approval.id}` };

  const decide = async (decision: "approve" | "reject") => {
    setError(null);
    const body: { decision: "approve" | "reject"; comment?: string; input?: unknown } = { decision };
    if (comment.trim()) body.comment = comment;
    if (decision === "approve" && input.trim() !== original.trim()) {
      try {
        body.input = JSON.parse(input);
      } catch (e) {
        setErrors({ input: `input: not valid JSON (${e instanceof Error ? e.message : String(e)})` });
        return;
      }
    }
    setErrors({});
    setBusy(true);
    try {
      onDecided(await api.decideApproval(approval.id, body));
    } catch (err) {
      if (err instanceof ApiError && err.field && err.field in ids) setErrors({ [err.field]: err.message });
      else setError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="decide" onSubmit={(e) => e.preventDefault()} noValidate>
      <div class="field">
        <label for={ids.input}>Input (JSON, sent when changed)</label>
        <textarea
          id={ids.input}
          class="mono"
          rows={6}
          value={input}
          onInput={(e) => setInput(e.currentTarget.value)}
          aria-invalid={errors["input"] ? true : undefined}
          aria-describedby={`${ids.input}-error`}
        />
        <FieldError id={`${ids.input}-error`} error={errors["input"]} />
      </div>
      <div class="field">
        <label for={ids.comment}>Comment</label>
        <textarea
          id={ids.comment}
          rows={2}
          value={comment}
          onInput={(e) => setComment(e.currentTarget.value)}
          aria-describedby={`${ids.comment}-error`}
        />
        <FieldError id={`${ids.comment}-error`} error={errors["comment"]} />
      </div>
      {error && <ErrorBox error={error} />}
      <div class="actions">
        <button type="button" disabled={busy} onClick={() => void decide("approve")}>
          Approve
        </button>
        <button type="button" class="danger" disabled={busy} onClick={() => void decide("reject")}>
          Reject
        </button>
      </div>
    </form>
  );
}

export function ApprovalsPage() {
  const [status, setStatus] = useState<Approval["status"]>("pending");
  const [notice, setNotice] = useState<string | null>(null);
  const list = useResource(() => api.listApprovals(status), [status], 5000);

  return (
    <section>
      <h1>Approvals</h1>
      <div class="filters">
        <div class="field">
          <label for="approval-status">Status</label>
          <select id="approval-status" value={status} onChange={(e) => setStatus(e.currentTarget.value as Approval["status"])}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
      </div>
      {notice && (
        <p class="state notice" role="status">
          {notice}
        </p>
      )}
      <Async res={list} what="approvals">
        {({ approvals }) =>
          approvals.length === 0 ? (
            <Empty>No {status} approvals.</Empty>
          ) : (
            <ul class="cards">
              {approvals.map((a) => (
                <li key={a.id} class="card" data-approval={a.id}>
                  <h2>
                    <span class="mono">{a.tool}</span> <StatusBadge status={a.status} />
                  </h2>
                  <dl class="facts">
                    <dt>Run</dt>
                    <dd>
                      <a href={`/runs/${a.run_id}`} class="mono">
                        {a.run_id}
                      </a>{" "}
                      step {a.step}
                    </dd>
                    {a.reason && (
                      <>
                        <dt>Reason</dt>
                        <dd>{a.reason}</dd>
                      </>
                    )}
                    <dt>Expires</dt>
                    <dd>
                      <Time at={a.expires_at} /> ({expiresIn(a.expires_at)})
                    </dd>
                    {a.decision && (
                      <>
                        <dt>Decision</dt>
                        <dd>
                          {a.decision}
                          {a.comment ? `: ${a.comment}` : ""}
                        </dd>
                      </>
                    )}
                  </dl>
                  {a.status === "pending" ? (
                    <Decide
                      approval={a}
                      onDecided={(d) => {
                        setNotice(`${d.status === "approved" ? "Approved" : "Rejected"} ${d.id}; the run resumes.`);
                        void list.reload();
                      }}
                    />
                  ) : (
                    <Json value={a.input} label="Input" />
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
