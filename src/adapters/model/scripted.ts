// The scripted model: a deterministic, offline ModelClient that answers the agent protocol by
// obeying directives written in the run's input (the table is in docs/api.md).

import { RunFailure } from "../../domain/errors";
import type { Usage } from "../../domain/types";
import { log } from "../../ops/log";
import type { CallContext, ContentBlock, ModelClient, ModelRequest, ModelResponse } from "./port";

/** Directives of one input line. */
export interface Directives {
  title: string;
  tool: { name: string; input: unknown } | null;
  approve: boolean;
  failTransient: number;
  failPermanent: boolean;
  crash: boolean;
  slowMs: number;
  tokens: number | null;
}

/** Longest `!slow` wait (60 000 ms); a larger value is clamped to it, with a warning in the log. */
export const MAX_SLOW_MS = 60_000;

const DIRECTIVE = /!(tool|approve|fail-transient|fail-permanent|crash|slow|tokens)\b/;

/** Parses the directives of one step line; the title is the line without them. */
export function parseDirectives(line: string): Directives {
  const d: Directives = {
    title: "",
    tool: null,
    approve: false,
    failTransient: 0,
    failPermanent: false,
    crash: false,
    slowMs: 0,
    tokens: null,
  };
  const first = line.search(DIRECTIVE);
  d.title = (first === -1 ? line : line.slice(0, first)).trim();
  let rest = first === -1 ? "" : line.slice(first);
  while (rest.length > 0) {
    const m = /^!([a-z-]+)\s*/.exec(rest);
    if (!m) {
      const next = rest.slice(1).search(DIRECTIVE);
      rest = next === -1 ? "" : rest.slice(next + 1);
      continue;
    }
    rest = rest.slice(m[0].length);
    const word = () => {
      const w = /^(\S+)\s*/.exec(rest);
      rest = w ? rest.slice(w[0].length) : rest;
      return w?.[1] ?? "";
    };
    switch (m[1]) {
      case "tool": {
        const name = word();
        let input: unknown = {};
        if (rest.startsWith("{")) {
          const end = matchBrace(rest);
          input = JSON.parse(rest.slice(0, end));
          rest = rest.slice(end).trimStart();
        }
        d.tool = { name, input };
        break;
      }
      case "approve":
        d.approve = true;
        break;
      case "fail-transient":
        d.failTransient = Number(word()) || 1;
        break;
      case "fail-permanent":
        d.failPermanent = true;
        break;
      case "crash":
        d.crash = true;
        break;
      case "slow": {
        const ms = Number(word()) || 0;
        d.slowMs = Math.min(Math.max(ms, 0), MAX_SLOW_MS);
        if (ms > MAX_SLOW_MS) log.warn("model.slow_clamped", "scripted model: !slow clamped", { requested_ms: ms, max_ms: MAX_SLOW_MS });
        break;
      }
      case "tokens":
        d.tokens = Number(word()) || 0;
        break;
    }
  }
  return d;
}

/** Index just past the JSON object that starts `text` (strings and nesting respected). */
function matchBrace(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i + 1;
  }
  return text.length;
}

/** Splits an input into plan lines: one per line starting with "- ", else the whole input. */
export function planLines(input: string): string[] {
  const lines = input
    .split(/\r?\n/)
    .filter((l) => l.startsWith("- "))
    .map((l) => l.slice(2).trim());
  return lines.length > 0 ? lines : [input.trim()];
}

/** Thrown by `!crash`: an unexpected error, as a worker dying after the model call would be. */
export class ScriptedCrash extends Error {
  constructor() {
    super("scripted crash after the model call, before the step was committed");
    this.name = "ScriptedCrash";
  }
}

function textOf(content: string | ContentBlock[]): string {
  if (typeof content === "string") return content;
  return content.map((b) => (b.type === "text" ? b.text : b.type === "tool_result" ? b.content : "")).join("\n");
}

/** The current step's line, which the supervisor writes between <current_step> tags. */
function currentStepLine(req: ModelRequest): string {
  const first = req.messages[0];
  const text = first ? textOf(first.content) : "";
  const m = /<current_step[^>]*>([\s\S]*?)<\/current_step>/.exec(text);
  const inner = m?.[1] ?? "";
  const instr = /<instructions>([\s\S]*?)<\/instructions>/.exec(inner);
  return (instr?.[1] ?? inner).trim();
}

let counter = 0;
const toolUseId = () => `toolu_scripted_${(++counter).toString(36)}`;

/** Creates the scripted model. */
export function scriptedModel(): ModelClient {
  return {
    provider: "scripted",
    async createMessage(req: ModelRequest, ctx: CallContext): Promise<ModelResponse> {
      const planning = req.tool_choice?.type === "tool" && req.tool_choice.name === "submit_plan";
      const line = planning ? "" : currentStepLine(req);
      const d = parseDirectives(line);
      if (d.slowMs > 0) await sleep(d.slowMs, ctx.signal);
      if (ctx.failedCalls < d.failTransient) {
        throw new RunFailure("model_overloaded", "scripted model overloaded (HTTP 529)", 1000);
      }
      if (d.failPermanent) throw new RunFailure("model_bad_request", "scripted model rejected the request (HTTP 400)");
      const usage: Usage = { input_tokens: 100, output_tokens: d.tokens ?? 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
      const respond = (content: ContentBlock[], stop = "tool_use"): ModelResponse => ({
        content,
        stop_reason: stop,
        usage,
        model: "scripted",
      });

      if (planning) {
        const input = textOf(req.messages[0]?.content ?? "");
        // A replan after kept steps: the lines those steps came from are done.
        const kept = input.match(/<completed_step /g)?.length ?? 0;
        const lines = planLines(input);
        const steps = (lines.length > kept ? lines.slice(kept) : lines).map((l) => ({
          title: parseDirectives(l).title || "Do the task",
          instructions: l,
        }));
        return respond([{ type: "tool_use", id: toolUseId(), name: "submit_plan", input: { steps } }]);
      }

      const results = req.messages.flatMap((m) => (typeof m.content === "string" ? [] : m.content.filter((b) => b.type === "tool_result")));
      const wanted = d.approve ? { name: "request_approval", input: { action: d.title, details: line } } : d.tool;
      if (wanted && results.length === 0) {
        return respond([{ type: "tool_use", id: toolUseId(), name: wanted.name, input: wanted.input }]);
      }
      if (d.crash && ctx.attempt === 1) throw new ScriptedCrash();
      const last = results[results.length - 1];
      const result = last && last.type === "tool_result" ? safeJson(last.content) : null;
      const output = { step: ctx.step, title: d.title, ...(result === null ? {} : { result }) };
      return respond([
        { type: "text", text: `Done: ${d.title}` },
        { type: "tool_use", id: toolUseId(), name: "complete_step", input: { summary: `Completed: ${d.title}`, output } },
      ]);
    },
  };
}

/** Waits `ms`; rejects with the signal's reason as soon as it is aborted. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON: the tool answered with plain text, which is a valid result as it is.
    return text;
  }
}
