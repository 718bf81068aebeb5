import { describe, expect, it } from "vitest";
import { MEMORY_GET, MEMORY_SET } from "../../../src/agent/tools/memory";
import { schemaErrors } from "../../../src/agent/tools/validate";
import { memoryServices, toolContext } from "../../helpers/tools";

describe("memory_get / memory_set", () => {
  it("stores a value per agent and reads it back", async () => {
    const services = memoryServices();
    const support = toolContext({ name: "support" }, services);
    const orders = toolContext({ name: "orders" }, services);
    expect(await MEMORY_SET.run({ key: "tone", value: { style: "warm" } }, support)).toEqual({
      ok: true,
      value: { key: "tone", stored: true },
    });
    expect(await MEMORY_GET.run({ key: "tone" }, support)).toEqual({
      ok: true,
      value: { key: "tone", found: true, value: { style: "warm" } },
    });
    expect(await MEMORY_GET.run({ key: "tone" }, orders)).toEqual({ ok: true, value: { key: "tone", found: false, value: null } });
  });

  it("refuses a value over 16 KB and keeps the old one", async () => {
    const ctx = toolContext();
    await MEMORY_SET.run({ key: "k", value: "small" }, ctx);
    const res = await MEMORY_SET.run({ key: "k", value: "x".repeat(16 * 1024) }, ctx);
    expect(res.ok).toBe(false);
    expect((res as { error: string }).error).toContain("at most 16384 bytes");
    expect(await MEMORY_GET.run({ key: "k" }, ctx)).toMatchObject({ value: { value: "small" } });
  });

  it("accepts a value of exactly 16 KB as JSON", async () => {
    const res = await MEMORY_SET.run({ key: "k", value: "x".repeat(16 * 1024 - 2) }, toolContext());
    expect(res.ok).toBe(true);
  });

  it("has schemas that reject a missing or empty key", () => {
    expect(schemaErrors(MEMORY_GET.input_schema, {})).toContain("key");
    expect(schemaErrors(MEMORY_SET.input_schema, { key: "", value: 1 })).not.toBeNull();
    expect(schemaErrors(MEMORY_SET.input_schema, { key: "a" })).toContain("value");
  });
});
