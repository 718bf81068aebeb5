// Workerd-side client of the local fake Messages API's control endpoints (test/support/fake-anthropic.ts):
// script replies for a scope, read the requests it received, and build common replies.

import { env } from "cloudflare:workers";
import type { FakeBlock, FakeReply, RecordedRequest } from "../support/fake-anthropic-protocol";

export type { FakeReply, RecordedRequest };

/** Base URL of a local test server started by global-setup (e.g. "anthropic", "echo"). */
export function supportUrl(name: string): string {
  const urls = JSON.parse((env as unknown as { SUPPORT_URLS: string }).SUPPORT_URLS) as Record<string, string>;
  const url = urls[name];
  if (!url) throw new Error(`no local server named ${name} in SUPPORT_URLS`);
  return url;
}

/** A unique scope token; put it in the run input so the fake routes that run's calls to its script. */
export function newScope(prefix = "scope"): string {
  return `${prefix}-${crypto.randomUUID()}`;
}

async function control(path: string, init?: RequestInit): Promise<any> {
  const res = await fetch(`${supportUrl("anthropic")}${path}`, init);
  if (!res.ok) throw new Error(`fake control ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Queues replies (FIFO) for the requests of `scope`. */
export async function script(scope: string, replies: FakeReply[]): Promise<void> {
  await control("/_control/script", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ scope, replies }),
  });
}

/** The Messages requests the fake received for `scope`, oldest first. */
export async function requestsFor(scope: string): Promise<RecordedRequest[]> {
  return (await control(`/_control/requests?scope=${encodeURIComponent(scope)}`)).requests;
}

/** A message answering with tool calls (ids given so tests can match the tool_results). */
export function toolUses(
  calls: { id: string; name: string; input: unknown }[],
  usage = { input_tokens: 50, output_tokens: 10 },
): FakeReply {
  const content: FakeBlock[] = calls.map((c) => ({ type: "tool_use", id: c.id, name: c.name, input: c.input }));
  return { content, usage };
}

/** The planner's answer: `submit_plan` with these step titles. */
export function plan(titles: string[], usage = { input_tokens: 40, output_tokens: 8 }): FakeReply {
  return toolUses(
    [
      {
        id: `toolu_plan_${crypto.randomUUID().slice(0, 8)}`,
        name: "submit_plan",
        input: { steps: titles.map((t) => ({ title: t, instructions: `Do: ${t}` })) },
      },
    ],
    usage,
  );
}

/** A `complete_step` call. */
export function complete(summary: string, output?: unknown, usage = { input_tokens: 60, output_tokens: 12 }): FakeReply {
  return toolUses(
    [
      {
        id: `toolu_done_${crypto.randomUUID().slice(0, 8)}`,
        name: "complete_step",
        input: { summary, ...(output === undefined ? {} : { output }) },
      },
    ],
    usage,
  );
}

/** Every tool_result block the fake saw in the requests, by tool_use id. */
export function toolResults(requests: RecordedRequest[]): Map<string, { content: unknown; is_error?: boolean }> {
  const out = new Map<string, { content: unknown; is_error?: boolean }>();
  for (const r of requests) {
    const messages = ((r.body as { messages?: any[] })?.messages ?? []) as any[];
    for (const m of messages) {
      if (!Array.isArray(m.content)) continue;
      for (const b of m.content) if (b.type === "tool_result") out.set(b.tool_use_id, { content: b.content, is_error: b.is_error });
    }
  }
  return out;
}
