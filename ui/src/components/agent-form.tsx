// Creating or editing a custom agent. The form sends what is filled in and leaves checking to the
// API, whose error is shown at the field it names (`http_tools[0].url` → the HTTP tools field).
import { useState } from "preact/hooks";
import { api } from "../api/endpoints";
import { ApiError } from "../api/http";
import type { Agent } from "../api/types";
import { ErrorBox, FieldError } from "./states";

const TOOLS = [
  "http_request",
  "memory_get",
  "memory_set",
  "emit_event",
  "request_approval",
  "file_write",
  "file_read",
  "file_list",
  "run_code",
];
const NUMBERS = ["max_steps", "max_credits", "ttl_seconds", "approval_ttl_seconds"] as const;

/** The form field an API error names: its first path segment. */
export function fieldOf(path: string): string {
  return path.split(/[.[]/)[0] ?? path;
}

const list = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

interface Draft {
  name: string;
  description: string;
  system_prompt: string;
  model: string;
  tools: string[];
  default_priority: string;
  numbers: Record<(typeof NUMBERS)[number], string>;
  allowed_hosts: string;
  approval_tools: string;
  http_tools: string;
}

function draftOf(a: Agent | null): Draft {
  return {
    name: a?.name ?? "",
    description: a?.description ?? "",
    system_prompt: a?.system_prompt ?? "",
    model: a?.model ?? "",
    tools: a?.tools ?? ["request_approval"],
    default_priority: a?.default_priority ?? "normal",
    numbers: Object.fromEntries(NUMBERS.map((n) => [n, a?.[n] === undefined ? "" : String(a[n])])) as Draft["numbers"],
    allowed_hosts: (a?.allowed_hosts ?? []).join(", "),
    approval_tools: (a?.approval?.tools ?? []).join(", "),
    http_tools: JSON.stringify(a?.http_tools ?? [], null, 2),
  };
}

export function AgentForm({ agent, onSaved, onCancel }: { agent: Agent | null; onSaved: (a: Agent) => void; onCancel: () => void }) {
  const [d, setD] = useState<Draft>(() => draftOf(agent));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<Draft>) => setD({ ...d, ...patch });

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const name = d.name.trim();
    if (!name) {
      setErrors({ name: "name: required" });
      return;
    }
    let httpTools: unknown;
    try {
      httpTools = JSON.parse(d.http_tools || "[]");
    } catch (err) {
      setErrors({ http_tools: `http_tools: not valid JSON (${err instanceof Error ? err.message : String(err)})` });
      return;
    }
    const body: Record<string, unknown> = {
      system_prompt: d.system_prompt,
      description: d.description,
      model: d.model,
      tools: d.tools,
      default_priority: d.default_priority,
      allowed_hosts: list(d.allowed_hosts),
      approval: { tools: list(d.approval_tools) },
      http_tools: httpTools,
    };
    for (const n of NUMBERS) {
      const v = d.numbers[n].trim();
      if (v) body[n] = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
    }
    setErrors({});
    setBusy(true);
    try {
      onSaved(await api.putAgent(name, body));
    } catch (err) {
      if (err instanceof ApiError && err.field) setErrors({ [fieldOf(err.field)]: err.message });
      else setError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setBusy(false);
    }
  };

  const text = (id: keyof Draft & string, label: string, opts: { area?: boolean; disabled?: boolean; help?: string } = {}) => {
    const props = {
      id: `agent-${id}`,
      value: d[id] as string,
      disabled: opts.disabled,
      "aria-invalid": errors[id] ? true : undefined,
      "aria-describedby": `agent-${id}-error`,
      onInput: (e: { currentTarget: HTMLInputElement | HTMLTextAreaElement }) => set({ [id]: e.currentTarget.value }),
    };
    return (
      <div class="field">
        <label for={`agent-${id}`}>{label}</label>
        {opts.area ? (
          <textarea rows={id === "http_tools" ? 6 : 4} class={id === "http_tools" ? "mono" : undefined} {...props} />
        ) : (
          <input {...props} />
        )}
        {opts.help && <p class="help">{opts.help}</p>}
        <FieldError id={`agent-${id}-error`} error={errors[id]} />
      </div>
    );
  };

  return (
    <form class="card agent-form" onSubmit={submit} noValidate aria-label={agent ? `Edit ${agent.name}` : "New agent"}>
      <h2>{agent ? `Edit ${agent.name}` : "New agent"}</h2>
      {text("name", "Name", { disabled: agent !== null, help: "Lower-case letters, digits, - and _." })}
      {text("system_prompt", "System prompt", { area: true })}
      {text("description", "Description")}
      {text("model", "Model", { help: "Empty: the deployment's model." })}
      <fieldset class="field">
        <legend>Tools</legend>
        <div class="checks">
          {TOOLS.map((t) => (
            <label key={t} class="check">
              <input
                type="checkbox"
                checked={d.tools.includes(t)}
                onChange={(e) => set({ tools: e.currentTarget.checked ? [...d.tools, t] : d.tools.filter((x) => x !== t) })}
              />
              <span class="mono">{t}</span>
            </label>
          ))}
        </div>
        <FieldError id="agent-tools-error" error={errors["tools"]} />
      </fieldset>
      <div class="row">
        {NUMBERS.map((n) => (
          <div class="field" key={n}>
            <label for={`agent-${n}`}>{n.replaceAll("_", " ")}</label>
            <input
              id={`agent-${n}`}
              inputMode="numeric"
              value={d.numbers[n]}
              aria-invalid={errors[n] ? true : undefined}
              aria-describedby={`agent-${n}-error`}
              onInput={(e) => set({ numbers: { ...d.numbers, [n]: e.currentTarget.value } })}
            />
            <FieldError id={`agent-${n}-error`} error={errors[n]} />
          </div>
        ))}
        <div class="field">
          <label for="agent-default_priority">default priority</label>
          <select id="agent-default_priority" value={d.default_priority} onChange={(e) => set({ default_priority: e.currentTarget.value })}>
            <option value="high">high</option>
            <option value="normal">normal</option>
            <option value="low">low</option>
          </select>
          <FieldError id="agent-default_priority-error" error={errors["default_priority"]} />
        </div>
      </div>
      {text("allowed_hosts", "Allowed hosts", { help: "Comma separated, e.g. api.example.com, *.example.org" })}
      {text("approval_tools", "Tools that need approval", { help: "Comma separated tool names." })}
      <FieldError id="agent-approval-error" error={errors["approval"]} />
      {text("http_tools", "HTTP tools (JSON list)", { area: true })}
      {error && <ErrorBox error={error} />}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : "Save agent"}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
