// Agents: the built-ins and the tenant's own; one agent's profile; create, edit or delete a custom
// agent (a built-in is customised by saving an agent of its name).

import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api } from "../api/endpoints";
import type { Agent } from "../api/types";
import { AgentForm } from "../components/agent-form";
import { Json } from "../components/format";
import { Async, Empty, ErrorBox } from "../components/states";
import { useResource } from "../hooks";

function AgentView({ name, onEdit, onDeleted }: { name: string; onEdit: (a: Agent) => void; onDeleted: () => void }) {
  const agent = useResource(() => api.getAgent(name), [name]);
  const [error, setError] = useState<Error | null>(null);
  const remove = async () => {
    setError(null);
    try {
      await api.deleteAgent(name);
      onDeleted();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  };
  return (
    <Async res={agent} what={`agent ${name}`}>
      {(a) => (
        <article class="card">
          <h2>
            {a.name} <span class="badge">{a.builtin ? "built-in" : "custom"}</span>
          </h2>
          {a.description && <p>{a.description}</p>}
          <div class="actions">
            <button type="button" onClick={() => onEdit(a)}>
              {a.builtin ? "Customise" : "Edit"}
            </button>
            {!a.builtin && (
              <button type="button" class="danger" onClick={() => void remove()}>
                Delete
              </button>
            )}
          </div>
          {error && <ErrorBox error={error} />}
          <Json value={a} label={`Agent ${a.name}`} />
        </article>
      )}
    </Async>
  );
}

export function AgentsPage({ name }: { name?: string }) {
  const { route } = useLocation();
  const agents = useResource(() => api.listAgents(), []);
  const [editing, setEditing] = useState<Agent | null | undefined>(undefined);

  return (
    <section>
      <h1>Agents</h1>
      <div class="actions">
        <button type="button" onClick={() => setEditing(null)}>
          New agent
        </button>
      </div>
      {editing !== undefined && (
        <AgentForm
          key={editing?.name ?? "new"}
          agent={editing}
          onCancel={() => setEditing(undefined)}
          onSaved={(a) => {
            setEditing(undefined);
            void agents.reload();
            route(`/agents/${a.name}`);
          }}
        />
      )}
      <div class="split">
        <Async res={agents} what="agents">
          {({ agents: list }) =>
            list.length === 0 ? (
              <Empty>No agents.</Empty>
            ) : (
              <ul class="agent-list" aria-label="Agents">
                {list.map((a) => (
                  <li key={a.name}>
                    <a href={`/agents/${a.name}`} aria-current={a.name === name ? "page" : undefined}>
                      {a.name}
                    </a>{" "}
                    <span class="muted">{a.builtin ? "built-in" : "custom"}</span>
                  </li>
                ))}
              </ul>
            )
          }
        </Async>
        {name ? (
          <AgentView
            name={name}
            onEdit={setEditing}
            onDeleted={() => {
              void agents.reload();
              route("/agents");
            }}
          />
        ) : (
          <p class="muted">Choose an agent to see its profile.</p>
        )}
      </div>
    </section>
  );
}
