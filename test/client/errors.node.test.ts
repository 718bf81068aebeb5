// How an answer becomes EdgecrewError: the envelope's fields, Retry-After, and answers that are
// not the envelope (a proxy's HTML page, an empty 503).

import { describe, expect, it } from "vitest";
import { EdgecrewError, errorFromResponse, parseRetryAfter } from "../../src/client/errors";

describe("EdgecrewError", () => {
  it("a 429 envelope carries its code, message, details and Retry-After seconds", () => {
    const res = new Response(null, { status: 429, headers: { "retry-after": "7" } });
    const error = errorFromResponse(res, { error: { code: "rate_limited", message: "slow down", details: { limit: 600 } } });
    expect(error).toBeInstanceOf(EdgecrewError);
    expect(error).toMatchObject({
      name: "EdgecrewError",
      code: "rate_limited",
      message: "slow down",
      status: 429,
      details: { limit: 600 },
      retryAfter: 7,
    });
  });

  it("Retry-After as an HTTP date is seconds from now; an unreadable one is null", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it("an answer that is not the envelope keeps its status, with a code from it", () => {
    const html = errorFromResponse(new Response(null, { status: 502 }), "<html>Bad gateway</html>");
    expect(html).toMatchObject({ code: "internal", status: 502, message: "HTTP 502: <html>Bad gateway</html>" });
    expect(errorFromResponse(new Response(null, { status: 503 }), "")).toMatchObject({ code: "unavailable", message: "HTTP 503" });
  });
});
