// /v1/agents: the tenant's agents (built-in and custom), and creating, replacing and deleting
// custom agents (docs/agents.md).

import { createRoute, z } from "@hono/zod-openapi";
import { AGENT_NAME_PATTERN, parseAgent } from "../../agent/agent-schema";
import { config } from "../../deps";
import { ApiError } from "../../domain/errors";
import type { AgentProfile } from "../../domain/types";
import { requireTenant, tenantStub } from "../auth";
import { Agent, AgentDefinition, AgentNameParams } from "../schemas/agents";
import { BODY_ERRORS, errors, json, TENANT_ERRORS, TENANT_SECURITY } from "../schemas/common";
import { jsonBody, router } from "../validation";

export const agents = router();
agents.use("*", requireTenant);
const tags = ["Agents"];
const security = TENANT_SECURITY;

function knownName(name: string): string {
  if (!AGENT_NAME_PATTERN.test(name)) throw new ApiError("not_found", `agent '${name.slice(0, 64)}' not found`);
  return name;
}

const list = createRoute({
  method: "get",
  path: "/",
  operationId: "listAgents",
  tags,
  security,
  summary: "List agents",
  description: "Built-in agents and the tenant's custom agents (a custom agent of a built-in's name replaces it).",
  responses: { 200: json(z.object({ agents: z.array(Agent) }).openapi("AgentList"), "The agents"), ...errors(...TENANT_ERRORS) },
});

agents.openapi(list, async (c) => {
  const found: AgentProfile[] = await tenantStub(c.env, c.get("tenant")).listAgents();
  return c.json({ agents: found }, 200);
});

const get = createRoute({
  method: "get",
  path: "/{name}",
  operationId: "getAgent",
  tags,
  security,
  summary: "Get an agent",
  request: { params: AgentNameParams },
  responses: { 200: json(Agent, "The agent"), ...errors("not_found", ...TENANT_ERRORS) },
});

agents.openapi(get, async (c) => {
  const name = knownName(c.req.valid("param").name);
  const agent: AgentProfile | null = await tenantStub(c.env, c.get("tenant")).agent(name);
  if (!agent) throw new ApiError("not_found", `agent '${name}' not found`);
  return c.json(agent, 200);
});

const put = createRoute({
  method: "put",
  path: "/{name}",
  operationId: "putAgent",
  tags,
  security,
  summary: "Create or replace a custom agent",
  description: "201 when the tenant had no custom agent of that name (overriding a built-in included), else 200.",
  middleware: [jsonBody],
  request: { params: AgentNameParams, body: { required: true, content: { "application/json": { schema: AgentDefinition } } } },
  responses: {
    201: json(Agent, "The agent was created"),
    200: json(Agent, "The agent was replaced"),
    ...errors(...BODY_ERRORS, ...TENANT_ERRORS),
  },
});

agents.openapi(put, async (c) => {
  const parsed = parseAgent(c.req.valid("param").name, c.req.valid("json"), { development: config(c.env).environment === "development" });
  if (!parsed.ok) throw new ApiError("invalid_request", `${parsed.field}: ${parsed.message}`, { field: parsed.field });
  const { created } = await tenantStub(c.env, c.get("tenant")).saveAgent(parsed.agent, c.get("actor"));
  return created ? c.json(parsed.agent, 201) : c.json(parsed.agent, 200);
});

const remove = createRoute({
  method: "delete",
  path: "/{name}",
  operationId: "deleteAgent",
  tags,
  security,
  summary: "Delete a custom agent",
  description: "A built-in agent cannot be deleted (409); PUT overrides it instead.",
  request: { params: AgentNameParams },
  responses: { 204: { description: "Deleted" }, ...errors("not_found", "conflict", ...TENANT_ERRORS) },
});

agents.openapi(remove, async (c) => {
  const name = knownName(c.req.valid("param").name);
  const outcome = await tenantStub(c.env, c.get("tenant")).removeAgent(name, c.get("actor"));
  if (outcome === "builtin") {
    throw new ApiError("conflict", `agent '${name}' is built in and cannot be deleted; PUT /v1/agents/${name} overrides it`);
  }
  if (outcome === "not_found") throw new ApiError("not_found", `agent '${name}' not found`);
  return c.body(null, 204);
});
