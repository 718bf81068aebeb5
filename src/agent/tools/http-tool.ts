// Tenant HTTP tools (an agent's `http_tools`): the tool input is POSTed as JSON to the tool's URL,
// signed with the tenant's secret (Standard Webhooks headers); the JSON answer is the tool result.

import { newId } from "../../domain/ids";
import { jsonTextTooDeep, MAX_JSON_DEPTH } from "../../domain/json-depth";
import { signedHeaders } from "../../domain/signature";
import type { HttpTool } from "../../domain/types";
import { checkOutboundUrl } from "../../domain/url-policy";
import { DEFAULT_TOOL_TIMEOUT_MS, exchange, MAX_RESPONSE_BYTES } from "./http-fetch";
import type { ToolDefinition } from "./tool";

export interface HttpToolOptions {
  /** Limit of one call, answer included, in ms (default 15 000). */
  timeoutMs?: number;
  /** Largest answer accepted (default 32 KB); a larger one is an error the model is told about. */
  maxBytes?: number;
}

const SNIPPET = 500;

/**
 * The tool for one tenant HTTP tool definition. Sends `webhook-id`, `webhook-timestamp` and
 * `webhook-signature` (Standard Webhooks) plus `edgecrew-run-id` and `edgecrew-tool`. A 5xx answer
 * or a transport failure throws a transient RunFailure; any other non-2xx, a non-JSON or an
 * oversized answer goes back to the model as an error.
 */
export function httpTool(def: HttpTool, opts: HttpToolOptions = {}): ToolDefinition {
  const maxBytes = opts.maxBytes ?? MAX_RESPONSE_BYTES;
  return {
    name: def.name,
    description: def.description,
    input_schema: def.input_schema,
    async run(input, ctx) {
      const target = checkOutboundUrl(def.url, { development: ctx.services.development });
      if (!target.ok) return { ok: false, error: `tool ${def.name} cannot be called: ${target.error}` };
      const body = JSON.stringify(input ?? {});
      const signed = await signedHeaders(await ctx.services.signingSecret(), newId("msg"), body);
      const res = await exchange(
        target.url,
        {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/json",
            "user-agent": "edgecrew-http-tool",
            "edgecrew-run-id": ctx.runId,
            "edgecrew-tool": def.name,
            ...signed,
          },
          body,
        },
        {
          timeoutMs: opts.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS,
          maxBytes,
          what: `tool ${def.name} (${target.url.host})`,
          signal: ctx.signal,
        },
      );
      if (res.truncated) {
        return { ok: false, error: `tool ${def.name} answered more than ${maxBytes} bytes; its answer was discarded` };
      }
      if (res.status < 200 || res.status > 299) {
        const where = res.status >= 300 && res.status < 400 ? ` (redirect to ${res.headers.get("location") ?? "?"} not followed)` : "";
        return { ok: false, error: `tool ${def.name} answered HTTP ${res.status}${where}: ${res.text.slice(0, SNIPPET)}` };
      }
      if (res.text.trim() === "") return { ok: true, value: null };
      // The answer becomes the tool result the run stores and sends to the model: bound its depth.
      if (jsonTextTooDeep(res.text)) {
        return { ok: false, error: `tool ${def.name} answered JSON nested deeper than ${MAX_JSON_DEPTH} levels; its answer was discarded` };
      }
      try {
        return { ok: true, value: JSON.parse(res.text) as unknown };
      } catch (e) {
        if (!(e instanceof SyntaxError)) throw e;
        return { ok: false, error: `tool ${def.name} did not answer JSON: ${res.text.slice(0, SNIPPET)}` };
      }
    },
  };
}
