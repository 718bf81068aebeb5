// Events and webhooks: the tenant's domain events with their deliveries, and the webhook
// subscription (setting it shows the new signing secret once).
import { useState } from "preact/hooks";
import { api } from "../api/endpoints";
import { ApiError } from "../api/http";
import type { Webhook } from "../api/types";
import { Json, Time } from "../components/format";
import { Async, Empty, ErrorBox, FieldError } from "../components/states";
import { useResource } from "../hooks";

function WebhookForm() {
  const [url, setUrl] = useState("");
  const [types, setTypes] = useState("");
  const [saved, setSaved] = useState<Webhook | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<Error | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setErrors({});
    setError(null);
    const events = types
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    try {
      setSaved(await api.setWebhook({ url, events }));
    } catch (err) {
      if (err instanceof ApiError && err.field) setErrors({ [err.field.split(/[.[]/)[0] ?? err.field]: err.message });
      else setError(err instanceof Error ? err : new Error(String(err)));
    }
  };
  return (
    <form class="card" onSubmit={submit} noValidate aria-labelledby="webhook-title">
      <h2 id="webhook-title">Webhook</h2>
      <div class="field">
        <label for="webhook-url">URL</label>
        <input id="webhook-url" value={url} onInput={(e) => setUrl(e.currentTarget.value)} aria-describedby="webhook-url-error" />
        <FieldError id="webhook-url-error" error={errors["url"]} />
      </div>
      <div class="field">
        <label for="webhook-events">Event types (comma separated; empty means all)</label>
        <input id="webhook-events" value={types} onInput={(e) => setTypes(e.currentTarget.value)} placeholder="run.*, approval.requested" />
        <FieldError id="webhook-events-error" error={errors["events"]} />
      </div>
      {error && <ErrorBox error={error} />}
      <button type="submit">Save webhook</button>
      {saved && (
        <div class="state notice" role="status">
          Deliveries go to <span class="mono">{saved.url}</span> ({saved.events.length ? saved.events.join(", ") : "every event"}). Signing
          secret, shown only now: <code class="secret">{saved.secret}</code>
        </div>
      )}
    </form>
  );
}

export function EventsPage() {
  const [after, setAfter] = useState(0);
  const events = useResource(() => api.events(after), [after], 5000);
  return (
    <section>
      <h1>Events and webhooks</h1>
      <WebhookForm />
      <h2>Domain events</h2>
      <Async res={events} what="events">
        {({ events: list, next_after }) =>
          list.length === 0 ? (
            <Empty>No events{after > 0 ? " after this point" : " yet"}.</Empty>
          ) : (
            <>
              <ul class="cards">
                {list.map((e) => (
                  <li key={e.id} class="card">
                    <h3>
                      <span class="mono">{e.type}</span> <span class="muted">#{e.seq}</span>
                    </h3>
                    <p>
                      <Time at={e.created_at} />
                      {e.run_id && (
                        <>
                          {" · "}
                          <a href={`/runs/${e.run_id}`} class="mono">
                            {e.run_id}
                          </a>
                        </>
                      )}
                    </p>
                    {(e.deliveries ?? []).map((d) => (
                      <p key={`${d.target}-${d.url}`} class="muted">
                        {d.target} webhook {d.url}: {d.status} after {d.attempts} attempt{d.attempts === 1 ? "" : "s"}
                        {d.last_error ? ` (${d.last_error})` : ""}
                      </p>
                    ))}
                    <details>
                      <summary>Data</summary>
                      <Json value={e.data} />
                    </details>
                  </li>
                ))}
              </ul>
              <div class="actions">
                {after > 0 && (
                  <button type="button" class="secondary" onClick={() => setAfter(0)}>
                    From the start
                  </button>
                )}
                {list.length === 100 && (
                  <button type="button" class="secondary" onClick={() => setAfter(next_after)}>
                    Later events
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
