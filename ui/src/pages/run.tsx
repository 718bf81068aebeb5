// A run: status, plan and steps (usage, credits, durations), the live log, the output or error,
// and cancel / retry where the status allows them. The run is read again whenever the log moves.
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api/endpoints";
import { FINAL_STATUSES, type Run } from "../api/types";
import { FeedbackForm } from "../components/feedback-form";
import { duration, Json, StatusBadge, Time } from "../components/format";
import { RunFiles } from "../components/run-files";
import { creditsByStep, RunLog } from "../components/run-log";
import { Async, ErrorBox } from "../components/states";
import { useResource } from "../hooks";
import { useLiveLog } from "../live-log";

function Actions({ run, reload }: { run: Run; reload: () => Promise<void> }) {
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const act = async (action: (id: string) => Promise<Run>) => {
    setBusy(true);
    setError(null);
    try {
      await action(run.id);
      await reload();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  };
  const canCancel = !FINAL_STATUSES.includes(run.status);
  const canRetry = run.status === "failed" || run.status === "dead";
  if (!canCancel && !canRetry) return null;
  return (
    <div class="actions">
      {canCancel && (
        <button type="button" class="danger" disabled={busy} onClick={() => void act(api.cancelRun)}>
          Cancel run
        </button>
      )}
      {canRetry && (
        <button type="button" disabled={busy} onClick={() => void act(api.retryRun)}>
          Retry run
        </button>
      )}
      {error && <ErrorBox error={error} />}
    </div>
  );
}

export function RunPage({ id }: { id: string }) {
  const run = useResource(() => api.getRun(id), [id]);
  const log = useLiveLog(id);
  const credits = creditsByStep(log.events);

  // Read the run again when events arrive, at most every 300 ms.
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const lastSeq = log.events.at(-1)?.seq ?? 0;
  useEffect(() => {
    if (lastSeq === 0 || pending.current) return;
    pending.current = setTimeout(() => {
      pending.current = undefined;
      void run.reload();
    }, 300);
  }, [lastSeq, log.state]);
  useEffect(() => () => clearTimeout(pending.current), []);
  // Until the run is final, also read it every few seconds (a status can settle after its event).
  const final = run.data ? FINAL_STATUSES.includes(run.data.status) : false;
  useEffect(() => {
    if (final) return;
    const timer = setInterval(() => void run.reload(), 3000);
    return () => clearInterval(timer);
  }, [final, id]);

  return (
    <section>
      <p>
        <a href="/runs">← Runs</a>
      </p>
      <Async res={run} what="the run">
        {(r) => (
          <>
            <h1 class="run-title">
              <span class="mono">{r.id}</span> <StatusBadge status={r.status} />
            </h1>
            <dl class="facts">
              <dt>Agent</dt>
              <dd>{r.agent}</dd>
              <dt>Priority</dt>
              <dd>{r.priority}</dd>
              <dt>Attempts</dt>
              <dd data-testid="attempts">{r.attempts}</dd>
              <dt>Credits</dt>
              <dd>
                {r.credits.spent} spent, {r.credits.reserved} reserved
              </dd>
              <dt>Tokens</dt>
              <dd>
                {r.usage.input_tokens} in, {r.usage.output_tokens} out
              </dd>
              <dt>Created</dt>
              <dd>
                <Time at={r.created_at} />
              </dd>
              <dt>Duration</dt>
              <dd>{duration(r.started_at, r.finished_at)}</dd>
            </dl>
            <Actions run={r} reload={run.reload} />
            {r.approvals.some((a) => a.status === "pending") && (
              <p class="state notice">
                Waiting for a person: <a href="/approvals">decide on the approvals page</a>.
              </p>
            )}
            <h2>Input</h2>
            <Json value={r.input} label="Input" />
            <h2>Plan and steps</h2>
            {r.plan && (
              <p>
                Planning: <span data-testid="plan-credits">{credits.get(0) ?? 0}</span> credits (with the run's fee).
              </p>
            )}
            {r.steps.length === 0 ? (
              <p class="state empty">{r.plan ? "The plan has no steps." : "Not planned yet."}</p>
            ) : (
              <div class="table-wrap">
                <table aria-label="Steps">
                  <thead>
                    <tr>
                      <th scope="col">#</th>
                      <th scope="col">Step</th>
                      <th scope="col">Status</th>
                      <th scope="col">Attempts</th>
                      <th scope="col">Tokens in / out</th>
                      <th scope="col">Credits</th>
                      <th scope="col">Duration</th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.steps.map((s) => (
                      <tr key={s.index} data-step={s.index}>
                        <td>{s.index}</td>
                        <td>
                          {s.title}
                          {s.summary && <div class="muted">{s.summary}</div>}
                        </td>
                        <td>
                          <StatusBadge status={s.status} />
                        </td>
                        <td>{s.attempts}</td>
                        <td>
                          {s.usage.input_tokens} / {s.usage.output_tokens}
                        </td>
                        <td>{credits.get(s.index) ?? 0}</td>
                        <td>{duration(s.started_at, s.finished_at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            {r.output && (
              <>
                <h2>Output</h2>
                <p>{r.output.summary}</p>
                <Json value={r.output.output} label="Output" />
              </>
            )}
            {r.error && (
              <>
                <h2>Error</h2>
                <div class="state error" role="alert">
                  <strong>{r.error.code}</strong>: {r.error.message}
                  {r.error.retryable ? " (retryable)" : ""}
                </div>
              </>
            )}
            <h2>Files</h2>
            <RunFiles runId={r.id} count={r.workspace?.files ?? 0} />
            {FINAL_STATUSES.includes(r.status) && <FeedbackForm runId={r.id} />}
          </>
        )}
      </Async>
      <RunLog events={log.events} state={log.state} error={log.error} now={log.now} />
    </section>
  );
}
