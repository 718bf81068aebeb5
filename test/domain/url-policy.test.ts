import { describe, expect, it } from "vitest";
import { checkOutboundUrl, hostMatches, isHostPattern, isNonPublicHost, nonPublicReason } from "../../src/domain/url-policy";

const prod = { development: false };

// Hosts as they would be written in a URL, each refused under production rules, with the range
// named in the refusal.
const REFUSED: [host: string, reason: string][] = [
  // IPv4 special-purpose ranges (IANA).
  ["0.0.0.0", "this network"],
  ["0.1.2.3", "this network"],
  ["10.0.0.1", "private 10.0.0.0/8"],
  ["10.255.255.255", "private"],
  ["100.64.0.1", "carrier-grade NAT"],
  ["100.127.255.254", "carrier-grade NAT"],
  ["127.0.0.1", "loopback 127.0.0.0/8"],
  ["127.255.255.254", "loopback"],
  ["169.254.169.254", "link-local"],
  ["172.16.0.1", "private 172.16.0.0/12"],
  ["172.31.255.255", "private"],
  ["192.0.0.1", "IETF protocol assignments"],
  ["192.0.0.170", "IETF protocol assignments"],
  ["192.0.2.1", "TEST-NET-1"],
  ["192.88.99.1", "6to4 relay"],
  ["192.168.1.1", "private 192.168.0.0/16"],
  ["198.18.0.1", "benchmarking"],
  ["198.19.255.255", "benchmarking"],
  ["198.51.100.7", "TEST-NET-2"],
  ["203.0.113.9", "TEST-NET-3"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.250", "multicast"],
  ["240.0.0.1", "reserved"],
  ["255.255.255.255", "broadcast"],
  // IPv4 written in the decimal, octal and hex forms the URL parser normalises.
  ["2130706433", "loopback"],
  ["0x7f000001", "loopback"],
  ["0177.0.0.1", "loopback"],
  ["017700000001", "loopback"],
  ["0x7f.1", "loopback"],
  ["127.1", "loopback"],
  ["127.0.0.1.", "loopback"],
  ["0xa9.0xfe.0xa9.0xfe", "link-local"],
  ["3232235777", "private"],
  // IPv6 special-purpose ranges.
  ["[::]", "unspecified"],
  ["[::1]", "loopback ::1/128"],
  ["[0:0:0:0:0:0:0:1]", "loopback"],
  ["[100::1]", "discard-only"],
  ["[2001:db8::1]", "documentation"],
  ["[2001:2::1]", "IETF protocol assignments"],
  ["[3fff::1]", "documentation"],
  ["[5f00::1]", "segment routing"],
  ["[fc00::1]", "unique local"],
  ["[fd12:3456::1]", "unique local"],
  ["[fe80::1]", "link-local"],
  ["[febf::1]", "link-local"],
  ["[fec0::1]", "site-local"],
  ["[feff::1]", "site-local"],
  ["[ff02::1]", "multicast"],
  ["[4000::1]", "outside global unicast"],
  ["[64:ff9b:1::1]", "local-use IPv4/IPv6 translation"],
  // IPv6 forms that embed a private, loopback or reserved IPv4 address.
  ["[::7f00:1]", "IPv4-compatible form of 127.0.0.1: loopback"],
  ["[::127.0.0.1]", "IPv4-compatible form of 127.0.0.1"],
  ["[::10.0.0.1]", "IPv4-compatible form of 10.0.0.1"],
  ["[::ffff:127.0.0.1]", "IPv4-mapped form of 127.0.0.1"],
  ["[::ffff:7f00:1]", "IPv4-mapped form of 127.0.0.1"],
  ["[::ffff:169.254.169.254]", "IPv4-mapped form of 169.254.169.254: link-local"],
  ["[::ffff:100.64.0.1]", "IPv4-mapped form of 100.64.0.1"],
  ["[::ffff:0:7f00:1]", "IPv4-translated form of 127.0.0.1"],
  ["[64:ff9b::7f00:1]", "NAT64 form of 127.0.0.1"],
  ["[64:ff9b::a9fe:a9fe]", "NAT64 form of 169.254.169.254"],
  ["[64:ff9b::10.0.0.1]", "NAT64 form of 10.0.0.1"],
  ["[2002:7f00:1::]", "6to4 form of 127.0.0.1"],
  ["[2002:c0a8:101::1]", "6to4 form of 192.168.1.1"],
  ["[2001:0:7f00:1::]", "Teredo form of 127.0.0.1"],
  ["[2001:0:4136:e378:8000:63bf:80ff:fffe]", "Teredo form of 127.0.0.1"],
  ["[2001:0:4136:e378:8000:63bf:3fff:fdd2]", "Teredo form of 192.0.2.45"],
  // Names that are not on the public internet.
  ["localhost", "loopback name"],
  ["localhost.", "loopback name"],
  ["app.localhost", "special-use"],
  ["intranet", "without a domain"],
  ["db.internal", "special-use"],
  ["printer.local", "special-use"],
  ["svc.test", "special-use"],
  ["router.home.arpa", "special-use"],
];

const PUBLIC = [
  "api.example.com",
  "8.8.8.8",
  "1.1.1.1",
  "11.0.0.1",
  "100.63.255.255",
  "100.128.0.1",
  "172.15.255.255",
  "172.32.0.1",
  "192.0.1.1",
  "192.0.3.1",
  "198.17.255.255",
  "198.20.0.1",
  "223.255.255.255",
  "[2606:4700:4700::1111]",
  "[2a00:1450:4001:80b::200e]",
  "[::ffff:8.8.8.8]",
  "[64:ff9b::808:808]",
  "[2002:808:808::1]",
  "[2001:0:4136:e378:8000:63bf:f7f7:fbfb]",
];

describe("outbound URL policy", () => {
  it.each(REFUSED)("production refuses https://%s/ (%s)", (host, reason) => {
    const r = checkOutboundUrl(`https://${host}/hook`, prod);
    expect(r.ok).toBe(false);
    expect((r as { error: string }).error).toContain("is not a public internet host");
    expect((r as { error: string }).error).toContain(reason);
  });

  it.each(PUBLIC)("production accepts https://%s/", (host) => {
    expect(checkOutboundUrl(`https://${host}/hook`, prod)).toMatchObject({ ok: true });
  });

  it("development accepts every refused address over http or https", () => {
    for (const [host] of REFUSED) {
      expect(checkOutboundUrl(`http://${host}:8080/`, { development: true }).ok, host).toBe(true);
    }
  });

  it("production allows https only", () => {
    expect(checkOutboundUrl("http://api.example.com/x", prod)).toEqual({ ok: false, error: "only https URLs are allowed, not http:" });
  });

  it("development allows http and loopback but no other scheme", () => {
    expect(checkOutboundUrl("http://127.0.0.1:8080/", { development: true }).ok).toBe(true);
    expect(checkOutboundUrl("ftp://127.0.0.1/", { development: true }).ok).toBe(false);
  });

  it("refuses credentials in URLs and hosts outside the allow list", () => {
    expect(checkOutboundUrl("https://u:p@api.example.com/", prod).ok).toBe(false);
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
  });

  it("judges host names as URL.hostname gives them", () => {
    expect(isNonPublicHost("8.8.8.8")).toBe(false);
    expect(isNonPublicHost("[::ffff:7f00:1]")).toBe(true);
    expect(nonPublicReason("[not-an-address]")).toBe("not a valid IPv6 address");
  });
});
