// Runs: the tenant's runs, newest first, filtered by status and agent and refreshed every two
// seconds so statuses move live; a form creates a run and opens it.

import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api } from "../api/endpoints";
import { RUN_STATUSES, type RunStatus } from "../api/types";
import { StatusBadge, Time } from "../components/format";
import { RunForm } from "../components/run-form";
import { Async, Empty } from "../components/states";
import { useResource } from "../hooks";

const REFRESH_MS = 2000;

export function RunsPage() {
  const { route } = useLocation();
  const [status, setStatus] = useState<RunStatus | "">("");
  const [agent, setAgent] = useState("");
  const [limit, setLimit] = useState(20);
  const agents = useResource(() => api.listAgents(), []);
  const runs = useResource(() => api.listRuns({ status, agent, limit }), [status, agent, limit], REFRESH_MS);
  const agentNames = agents.data?.agents.map((a) => a.name) ?? [];

  return (
    <section>
      <h1>Runs</h1>
      {agents.data && <RunForm agents={agentNames} onCreated={(id) => route(`/runs/${id}`)} />}
      <div class="filters">
        <div class="field">
          <label for="filter-status">Status</label>
          <select id="filter-status" value={status} onChange={(e) => setStatus(e.currentTarget.value as RunStatus | "")}>
            <option value="">all</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-agent">Agent</label>
          <select id="filter-agent" value={agent} onChange={(e) => setAgent(e.currentTarget.value)}>
            <option value="">all</option>
            {agentNames.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </div>
      </div>
      <Async res={runs} what="runs">
        {({ runs: list, next_cursor }) =>
          list.length === 0 ? (
            <Empty>No runs{status || agent ? " match these filters" : " yet: create one above"}.</Empty>
          ) : (
            <>
              <div class="table-wrap">
                <table aria-label="Runs">
                  <thead>
                    <tr>
                      <th scope="col">Run</th>
                      <th scope="col">Agent</th>
                      <th scope="col">Status</th>
                      <th scope="col">Priority</th>
                      <th scope="col">Credits spent</th>
                      <th scope="col">Created</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((r) => (
                      <tr key={r.id} data-run={r.id}>
                        <td>
                          <a href={`/runs/${r.id}`} class="mono">
                            {r.id}
                          </a>
                        </td>
                        <td>{r.agent}</td>
                        <td>
                          <StatusBadge status={r.status} />
                        </td>
                        <td>{r.priority}</td>
                        <td>{r.credits.spent}</td>
                        <td>
                          <Time at={r.created_at} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {next_cursor && limit < 100 && (
                <button type="button" class="secondary" onClick={() => setLimit(Math.min(100, limit + 20))}>
                  Show more
                </button>
              )}
            </>
          )
        }
      </Async>
    </section>
  );
}
