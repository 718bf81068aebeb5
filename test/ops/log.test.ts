// The structured logger: one JSON line per call with level, event and msg first, routed to the
// console method of its level, and nothing secret in it whatever the caller passes.

import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { errorText, formatLine, log, redactText, secretValues } from "../../src/ops/log";

const methods = ["debug", "log", "warn", "error"] as const;

function capture() {
  const spies = Object.fromEntries(methods.map((m) => [m, vi.spyOn(console, m).mockImplementation(() => {})])) as Record<
    (typeof methods)[number],
    ReturnType<typeof vi.spyOn>
  >;
  const lines = (m: (typeof methods)[number]): Record<string, unknown>[] =>
    spies[m].mock.calls.map((c: unknown[]) => JSON.parse(String(c[0])));
  return { spies, lines };
}

afterEach(() => vi.restoreAllMocks());

describe("logger", () => {
  it("writes one JSON line with level, event, msg and the run's context", () => {
    const { spies, lines } = capture();
    log.info("run.transition", "run started", { run_id: "run_1", tenant: "acme", seq: 4, status: "started" });
    expect(spies.log).toHaveBeenCalledTimes(1);
    expect(spies.log.mock.calls[0]).toHaveLength(1);
    expect(lines("log")).toEqual([
      { level: "info", event: "run.transition", msg: "run started", run_id: "run_1", tenant: "acme", seq: 4, status: "started" },
    ]);
  });

  it("routes each level to its console method", () => {
    const { lines } = capture();
    log.debug("a.debug", "d");
    log.info("a.info", "i");
    log.warn("a.warn", "w");
    log.error("a.error", "e");
    expect(lines("debug").map((l) => l.level)).toEqual(["debug"]);
    expect(lines("log").map((l) => l.level)).toEqual(["info"]);
    expect(lines("warn").map((l) => l.level)).toEqual(["warn"]);
    expect(lines("error").map((l) => l.level)).toEqual(["error"]);
  });

  it("leaves out undefined fields and never lets a field replace level, event or msg", () => {
    const line = JSON.parse(formatLine("warn", "x.y", "m", { run_id: undefined, level: "info", event: "other", msg: "no", n: 1 }, []));
    expect(line).toEqual({ level: "warn", event: "x.y", msg: "m", n: 1 });
  });

  it("writes errors as their name and message, never a stack", () => {
    const line = JSON.parse(formatLine("error", "x", "m", { cause: new TypeError("bad thing") }, []));
    expect(line.cause).toEqual({ name: "TypeError", message: "bad thing" });
    expect(errorText(new Error("boom"))).toBe("boom");
    expect(errorText("plain")).toBe("plain");
  });

  it("redacts fields named like credentials, at any depth", () => {
    const line = JSON.parse(
      formatLine(
        "info",
        "x",
        "m",
        {
          api_key: "abc",
          webhook_secret: "abc",
          password: "abc",
          token: "abc",
          request: { headers: { Authorization: "abc", cookie: "abc" }, list: [{ access_token: "abc" }] },
          tenant: "acme",
        },
        [],
      ),
    );
    expect(line).toEqual({
      level: "info",
      event: "x",
      msg: "m",
      api_key: "[redacted]",
      webhook_secret: "[redacted]",
      password: "[redacted]",
      token: "[redacted]",
      request: { headers: { Authorization: "[redacted]", cookie: "[redacted]" }, list: [{ access_token: "[redacted]" }] },
      tenant: "acme",
    });
  });

  it("redacts secret shapes inside any text: API keys, webhook secrets, bearer tokens, JWTs, vendor keys", () => {
    const text = [
      "key ec_acme_s3cr3tPart used",
      "signing with whsec_QmFzZTY0U2VjcmV0",
      "Authorization: Bearer abc.DEF-123_x",
      "anthropic sk-ant-api03-AbCdEf_gh",
      "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
      "qstash sig_7kYjD4jPqz",
    ].join("; ");
    const out = redactText(text, []);
    for (const secret of ["s3cr3tPart", "QmFzZTY0U2VjcmV0", "abc.DEF-123_x", "AbCdEf_gh", "c2lnbmF0dXJl", "7kYjD4jPqz"]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain("key [redacted] used");
    // Ordinary words that merely contain the prefixes are kept.
    expect(redactText("spec_file records_count", [])).toBe("spec_file records_count");
  });

  it("masks the values of the environment's credentials wherever they appear", () => {
    expect(
      secretValues({
        ADMIN_TOKEN: "admin-token-value",
        UPSTASH_REDIS_REST_TOKEN: "upstash-token-value-123",
        ENVIRONMENT: "production",
        SHORT_KEY: "abc",
      }),
    ).toEqual(["upstash-token-value-123", "admin-token-value"]);
    const out = formatLine("error", "x", "call failed: upstash-token-value-123 refused", { detail: 'quoted "admin-token-value"' }, [
      "upstash-token-value-123",
      "admin-token-value",
    ]);
    expect(out).not.toContain("upstash-token-value-123");
    expect(out).not.toContain("admin-token-value");
  });

  it("inside the Worker, masks the configured admin token and signing secret without being told them", () => {
    const { lines } = capture();
    log.error("api.unhandled_error", `failed with ${env.ADMIN_TOKEN}`, { error: `secret ${env.AUTH_SIGNING_SECRET} leaked` });
    const raw = JSON.stringify(lines("error"));
    expect(raw).toContain("[redacted]");
    expect(raw).not.toContain(env.ADMIN_TOKEN);
    expect(raw).not.toContain(env.AUTH_SIGNING_SECRET);
  });
});
