// Dead-letter queue: the tenant's dead runs with their last error; redrive one, a selection, or all.
import { useState } from "preact/hooks";
import { api } from "../api/endpoints";
import type { Redrive } from "../api/types";
import { Time } from "../components/format";
import { Async, Empty, ErrorBox } from "../components/states";
import { useResource } from "../hooks";

export function DlqPage() {
  const dead = useResource(() => api.listDlq(), [], 5000);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [result, setResult] = useState<Redrive | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);

  const redrive = async (body: { ids: string[] } | { all: true }) => {
    setBusy(true);
    setError(null);
    try {
      setResult(await api.redrive(body));
      setSelected(new Set());
      await dead.reload();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  };
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };

  return (
    <section>
      <h1>Dead letters</h1>
      <p class="muted">Runs whose retries ran out on a transient error. A redrive retries a run from its last completed step.</p>
      {result && (
        <div class="state notice" role="status">
          Redrove {result.redriven} of {result.results.length}.
          {result.results
            .filter((r) => !r.redriven)
            .map((r) => (
              <div key={r.id}>
                <span class="mono">{r.id}</span>: {r.error}
              </div>
            ))}
        </div>
      )}
      {error && <ErrorBox error={error} />}
      <Async res={dead} what="dead runs">
        {({ runs }) =>
          runs.length === 0 ? (
            <Empty>No dead runs.</Empty>
          ) : (
            <>
              <div class="actions">
                <button type="button" disabled={busy || selected.size === 0} onClick={() => void redrive({ ids: [...selected] })}>
                  Redrive selected ({selected.size})
                </button>
                <button type="button" class="secondary" disabled={busy} onClick={() => void redrive({ all: true })}>
                  Redrive all
                </button>
              </div>
              <div class="table-wrap">
                <table aria-label="Dead runs">
                  <thead>
                    <tr>
                      <th scope="col">
                        <span class="sr-only">Select</span>
                      </th>
                      <th scope="col">Run</th>
                      <th scope="col">Agent</th>
                      <th scope="col">Last error</th>
                      <th scope="col">Attempts</th>
                      <th scope="col">Died</th>
                      <th scope="col">
                        <span class="sr-only">Redrive</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {runs.map((r) => (
                      <tr key={r.id} data-run={r.id}>
                        <td>
                          <input type="checkbox" aria-label={`Select ${r.id}`} checked={selected.has(r.id)} onChange={() => toggle(r.id)} />
                        </td>
                        <td>
                          <a href={`/runs/${r.id}`} class="mono">
                            {r.id}
                          </a>
                        </td>
                        <td>{r.agent}</td>
                        <td>{r.error ? `${r.error.code}: ${r.error.message}` : "—"}</td>
                        <td>{r.attempts}</td>
                        <td>
                          <Time at={r.finished_at} />
                        </td>
                        <td>
                          <button
                            type="button"
                            class="small"
                            disabled={busy}
                            onClick={() => void redrive({ ids: [r.id] })}
                            aria-label={`Redrive ${r.id}`}
                          >
                            Redrive
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )
        }
      </Async>
    </section>
  );
}
