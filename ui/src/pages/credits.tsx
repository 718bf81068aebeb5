// Credits and the ledger: the balance, and every movement newest first, page by page.
import { useState } from "preact/hooks";
import { api } from "../api/endpoints";
import { Time } from "../components/format";
import { Async, Empty } from "../components/states";
import { useResource } from "../hooks";

export function CreditsPage() {
  const credits = useResource(() => api.credits(), [], 5000);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors.at(-1) ?? null;
  const ledger = useResource(() => api.ledger(cursor), [cursor]);
  return (
    <section>
      <h1>Credits</h1>
      <Async res={credits} what="the balance">
        {(c) => (
          <dl class="facts big">
            <dt>Available</dt>
            <dd data-testid="available">{c.available}</dd>
            <dt>Reserved</dt>
            <dd>{c.reserved}</dd>
            <dt>Spent in total</dt>
            <dd>{c.spent_total}</dd>
          </dl>
        )}
      </Async>
      <h2>Ledger</h2>
      <Async res={ledger} what="the ledger">
        {({ entries, next_cursor }) =>
          entries.length === 0 ? (
            <Empty>No ledger entries{cursors.length > 1 ? " on this page" : " yet"}.</Empty>
          ) : (
            <>
              <div class="table-wrap">
                <table aria-label="Ledger">
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Kind</th>
                      <th scope="col">Amount</th>
                      <th scope="col">Balance after</th>
                      <th scope="col">Run</th>
                    </tr>
                  </thead>
                  <tbody>
                    {entries.map((e) => (
                      <tr key={e.id}>
                        <td>
                          <Time at={e.created_at} />
                        </td>
                        <td>{e.kind}</td>
                        <td>{e.amount}</td>
                        <td>{e.balance_after}</td>
                        <td>
                          {e.run_id ? (
                            <a href={`/runs/${e.run_id}`} class="mono">
                              {e.run_id}
                            </a>
                          ) : (
                            "—"
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <div class="actions">
                {cursors.length > 1 && (
                  <button type="button" class="secondary" onClick={() => setCursors(cursors.slice(0, -1))}>
                    Newer
                  </button>
                )}
                {next_cursor && (
                  <button type="button" class="secondary" onClick={() => setCursors([...cursors, next_cursor])}>
                    Older
                  </button>
                )}
              </div>
            </>
          )
        }
      </Async>
    </section>
  );
}
