// /v1/agents: the tenant's agents (built-in and custom), and creating, replacing and deleting
// custom agents (docs/agents.md).

import { Hono } from "hono";
import { AGENT_NAME_PATTERN, parseAgent } from "../../agent/agent-schema";
import { config } from "../../deps";
import { ApiError } from "../../domain/errors";
import type { AgentProfile } from "../../domain/types";
import type { AppEnv } from "../app-env";
import { requireTenant, tenantStub } from "../auth";
import { readJsonObject } from "../http";

export const agents = new Hono<AppEnv>();
agents.use("*", requireTenant);

function knownName(name: string): string {
  if (!AGENT_NAME_PATTERN.test(name)) throw new ApiError("not_found", `agent '${name.slice(0, 64)}' not found`);
  return name;
}

agents.get("/", async (c) => {
  const list: AgentProfile[] = await tenantStub(c.env, c.get("tenant")).listAgents();
  return c.json({ agents: list });
});

agents.get("/:name", async (c) => {
  const name = knownName(c.req.param("name"));
  const agent: AgentProfile | null = await tenantStub(c.env, c.get("tenant")).agent(name);
  if (!agent) throw new ApiError("not_found", `agent '${name}' not found`);
  return c.json(agent);
});

// 201 when the tenant had no custom agent of that name (overriding a built-in included), else 200.
agents.put("/:name", async (c) => {
  const { body } = await readJsonObject(c);
  const parsed = parseAgent(c.req.param("name"), body, { development: config(c.env).environment === "development" });
  if (!parsed.ok) throw new ApiError("invalid_request", `${parsed.field}: ${parsed.message}`, { field: parsed.field });
  const { created } = await tenantStub(c.env, c.get("tenant")).saveAgent(parsed.agent, c.get("actor"));
  return c.json(parsed.agent, created ? 201 : 200);
});

agents.delete("/:name", async (c) => {
  const name = knownName(c.req.param("name"));
  const outcome = await tenantStub(c.env, c.get("tenant")).removeAgent(name, c.get("actor"));
  if (outcome === "builtin") {
    throw new ApiError("conflict", `agent '${name}' is built in and cannot be deleted; PUT /v1/agents/${name} overrides it`);
  }
  if (outcome === "not_found") throw new ApiError("not_found", `agent '${name}' not found`);
  return c.body(null, 204);
});
