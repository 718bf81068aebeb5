import { describe, expect, it } from "vitest";
import { checkOutboundUrl, hostMatches, isHostPattern, isNonPublicHost } from "../../src/domain/url-policy";

describe("outbound URL policy", () => {
  it("production allows https to public hosts only", () => {
    const prod = { development: false };
    expect(checkOutboundUrl("https://api.example.com/x", prod).ok).toBe(true);
    expect(checkOutboundUrl("http://api.example.com/x", prod).ok).toBe(false);
    for (const host of [
      "127.0.0.1",
      "localhost",
      "10.1.2.3",
      "192.168.0.1",
      "169.254.169.254",
      "[::1]",
      "[fd00::1]",
      "intranet",
      "db.internal",
    ]) {
      expect(checkOutboundUrl(`https://${host}/`, prod).ok, host).toBe(false);
    }
  });

  it("development allows http and loopback", () => {
    expect(checkOutboundUrl("http://127.0.0.1:8080/", { development: true }).ok).toBe(true);
    expect(checkOutboundUrl("ftp://127.0.0.1/", { development: true }).ok).toBe(false);
  });

  it("refuses credentials in URLs and hosts outside the allow list", () => {
    expect(checkOutboundUrl("https://u:p@api.example.com/", { development: false }).ok).toBe(false);
    const r = checkOutboundUrl("https://other.example.com/", { development: false, allowedHosts: ["api.example.com"] });
    expect(r).toEqual({ ok: false, error: expect.stringContaining("allowed_hosts") });
  });

  it("matches exact hosts and *.suffix patterns", () => {
    expect(hostMatches("API.example.com", "api.example.com")).toBe(true);
    expect(hostMatches("a.b.example.com", "*.example.com")).toBe(true);
    expect(hostMatches("example.com", "*.example.com")).toBe(false);
    expect(hostMatches("badexample.com", "*.example.com")).toBe(false);
  });

  it("knows host names from URLs, ports and schemes", () => {
    expect(isHostPattern("api.example.com")).toBe(true);
    expect(isHostPattern("127.0.0.1")).toBe(true);
    expect(isHostPattern("*.example.com")).toBe(true);
    for (const bad of ["https://api.example.com", "api.example.com:443", "API.example.com", "-a.com", "a..b", "", "1.2.3.999"]) {
      expect(isHostPattern(bad), bad).toBe(false);
    }
    expect(isNonPublicHost("8.8.8.8")).toBe(false);
  });
});
