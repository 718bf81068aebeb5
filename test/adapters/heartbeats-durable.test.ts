// The Heartbeats contract against the embedded adapter (the OpsObject), inside workerd; each test
// uses its own instance so the workers of other tests are not seen.
import { env } from "cloudflare:workers";
import { durableHeartbeats } from "../../src/adapters/heartbeats/durable";
import { heartbeatsContract } from "../contracts/heartbeats.contract";

heartbeatsContract("durable", async () => ({ heartbeats: durableHeartbeats(env.OPS, `contract-${crypto.randomUUID()}`) }));
