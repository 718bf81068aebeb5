// Queues and workers: the tenant's runs by where they wait, and the queue consumers alive now.
import { api } from "../api/endpoints";
import { Time } from "../components/format";
import { Async, Empty } from "../components/states";
import { useResource } from "../hooks";

export function OperationsPage() {
  const queues = useResource(() => api.queues(), [], 3000);
  const workers = useResource(() => api.workers(), [], 5000);
  return (
    <section>
      <h1>Queues and workers</h1>
      <h2>Queues</h2>
      <Async res={queues} what="queues">
        {(q) => (
          <>
            <div class="table-wrap">
              <table aria-label="Lanes">
                <thead>
                  <tr>
                    <th scope="col">Lane</th>
                    <th scope="col">Queued</th>
                    <th scope="col">Running</th>
                  </tr>
                </thead>
                <tbody>
                  {Object.entries(q.lanes).map(([lane, n]) => (
                    <tr key={lane}>
                      <td>{lane}</td>
                      <td>{n.queued}</td>
                      <td>{n.running}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <dl class="facts">
              <dt>Awaiting approval</dt>
              <dd>{q.awaiting_approval}</dd>
              <dt>Scheduled</dt>
              <dd>{q.scheduled}</dd>
              <dt>Retrying</dt>
              <dd>{q.retrying}</dd>
              <dt>Dead</dt>
              <dd>
                <a href="/dlq">{q.dead}</a>
              </dd>
            </dl>
          </>
        )}
      </Async>
      <h2>Workers</h2>
      <Async res={workers} what="workers">
        {({ workers: list }) =>
          list.length === 0 ? (
            <Empty>No worker has sent a heartbeat recently.</Empty>
          ) : (
            <div class="table-wrap">
              <table aria-label="Workers">
                <thead>
                  <tr>
                    <th scope="col">Worker</th>
                    <th scope="col">Lane</th>
                    <th scope="col">Runs in flight</th>
                    <th scope="col">Last heartbeat</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((w) => (
                    <tr key={w.id}>
                      <td class="mono">{w.id}</td>
                      <td>{w.lane}</td>
                      <td>{w.runs_in_flight}</td>
                      <td>
                        <Time at={w.last_beat_at} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Async>
    </section>
  );
}
