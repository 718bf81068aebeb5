import { describe, expect, it } from "vitest";
import { EMIT_EVENT } from "../../../src/agent/tools/emit-event";
import { memoryServices, toolContext } from "../../helpers/tools";

describe("emit_event", () => {
  it("writes a domain event with the run and agent and returns its id", async () => {
    const services = memoryServices();
    const res = await EMIT_EVENT.run({ type: "order.refunded", data: { order: "A1" } }, toolContext({ name: "orders" }, services));
    expect(res).toEqual({ ok: true, value: { id: "evt_1" } });
    expect(services.events).toEqual([{ type: "order.refunded", data: { order: "A1" }, run_id: "run_test", agent: "orders" }]);
  });

  it("refuses badly formed and reserved types and oversized data", async () => {
    const services = memoryServices();
    const ctx = toolContext({}, services);
    expect((await EMIT_EVENT.run({ type: "Order Refunded", data: {} }, ctx)).ok).toBe(false);
    for (const type of ["run.succeeded", "approval.decided", "feedback.created", "audit.recorded"]) {
      const reserved = await EMIT_EVENT.run({ type, data: {} }, ctx);
      expect((reserved as { error: string }).error, type).toContain("reserved");
    }
    expect((await EMIT_EVENT.run({ type: "big.event", data: "x".repeat(17_000) }, ctx)).ok).toBe(false);
    expect(services.events).toHaveLength(0);
  });
});
