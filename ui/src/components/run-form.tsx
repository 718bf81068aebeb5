// Creating a run from the dashboard: agent, input (text, or a JSON object) and priority. The API's
// validation error is shown at the field it names.
import { useState } from "preact/hooks";
import { api } from "../api/endpoints";
import { ApiError } from "../api/http";
import type { Priority } from "../api/types";
import { ErrorBox, FieldError } from "./states";

/** The input as the API takes it: a JSON object when it looks like one, else the text. */
function parseInput(text: string): { value?: unknown; error?: string } {
  const t = text.trim();
  if (!t) return { error: "input: write what the agent should do" };
  if (!t.startsWith("{")) return { value: text };
  try {
    return { value: JSON.parse(t) };
  } catch (e) {
    return { error: `input: not valid JSON (${e instanceof Error ? e.message : String(e)})` };
  }
}

export function RunForm({ agents, onCreated }: { agents: string[]; onCreated: (id: string) => void }) {
  const [agent, setAgent] = useState(agents[0] ?? "general");
  const [input, setInput] = useState("");
  const [priority, setPriority] = useState<Priority | "">("");
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const parsed = parseInput(input);
    if (parsed.error) {
      setFieldErrors({ input: parsed.error });
      return;
    }
    setFieldErrors({});
    setBusy(true);
    try {
      const run = await api.createRun({ agent, input: parsed.value, ...(priority ? { priority } : {}) });
      setInput("");
      onCreated(run.id);
    } catch (err) {
      if (err instanceof ApiError && err.field) setFieldErrors({ [err.field]: err.message });
      else setError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card run-form" onSubmit={submit} noValidate aria-labelledby="new-run">
      <h2 id="new-run">New run</h2>
      <div class="row">
        <div class="field">
          <label for="run-agent">Agent</label>
          <select id="run-agent" value={agent} onChange={(e) => setAgent(e.currentTarget.value)}>
            {agents.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
          <FieldError id="run-agent-error" error={fieldErrors["agent"]} />
        </div>
        <div class="field">
          <label for="run-priority">Priority</label>
          <select id="run-priority" value={priority} onChange={(e) => setPriority(e.currentTarget.value as Priority | "")}>
            <option value="">agent's default</option>
            <option value="high">high</option>
            <option value="normal">normal</option>
            <option value="low">low</option>
          </select>
          <FieldError id="run-priority-error" error={fieldErrors["priority"]} />
        </div>
      </div>
      <div class="field">
        <label for="run-input">Input</label>
        <textarea
          id="run-input"
          rows={4}
          value={input}
          onInput={(e) => setInput(e.currentTarget.value)}
          aria-invalid={fieldErrors["input"] ? true : undefined}
          aria-describedby="run-input-error"
          placeholder={"- look up the order\n- summarise it"}
        />
        <FieldError id="run-input-error" error={fieldErrors["input"]} />
      </div>
      {error && <ErrorBox error={error} />}
      <button type="submit" disabled={busy}>
        {busy ? "Creating…" : "Create run"}
      </button>
    </form>
  );
}
