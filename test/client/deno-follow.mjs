// Run under Deno by client.node.test.ts: the bundled client (lib/client.js) creates a run, follows
// it over Deno's WebSocket with a stream ticket, and reports what it saw, plus a typed error.
/* global Deno */
import { createEdgecrew, EdgecrewError } from "../../lib/client.js";

const edgecrew = createEdgecrew({ url: Deno.env.get("EDGECREW_URL"), key: Deno.env.get("EDGECREW_API_KEY") });
const run = await edgecrew.runs.create({ agent: "general", input: "- from deno\n- and back" });
const events = [];
for await (const event of edgecrew.follow(run.id, { transport: "websocket" })) events.push({ seq: event.seq, type: event.type });
let error = null;
try {
  await edgecrew.runs.get("run_missing_in_deno");
} catch (e) {
  if (!(e instanceof EdgecrewError)) throw e;
  error = { name: e.name, code: e.code, status: e.status, message: e.message };
}
console.log(JSON.stringify({ runtime: `deno ${Deno.version.deno}`, run: run.id, events, error }));
