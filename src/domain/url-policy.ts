// Where the runtime may send requests on a tenant's behalf (webhooks, http_request, tenant HTTP
// tools): https to public hosts in production; http and loopback in development. IP literals are
// judged with ipaddr.js against the IANA special-purpose ranges, IPv4 embedded in IPv6 included.

import ipaddr from "ipaddr.js";

/** Outcome of checking an outbound URL: the parsed URL, or why it is refused. */
export type UrlCheck = { ok: true; url: URL } | { ok: false; error: string };

export interface UrlRules {
  /** Development allows `http:` and loopback or private addresses; production allows neither. */
  development: boolean;
  /** When given, the URL's host must match one of these (see `hostMatches`). */
  allowedHosts?: readonly string[];
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Whether `s` is a dotted IPv4 address with every part 0..255 (decimal, four parts). */
export function isIpv4(s: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(s);
}

/**
 * Whether `s` is a lower-case DNS host name or IPv4 address, with no scheme, port or path. A
 * leading `*.` (any subdomain) is accepted when `wildcard` is true. At most 253 characters.
 */
export function isHostPattern(s: string, wildcard = true): boolean {
  if (s.length === 0 || s.length > 253) return false;
  if (isIpv4(s)) return true;
  const name = wildcard && s.startsWith("*.") ? s.slice(2) : s;
  const labels = name.split(".");
  // A purely numeric last label would be read as an IPv4 address by URL parsers.
  return labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1] ?? "");
}

/** Whether a URL's host (as `URL.hostname` gives it) matches an allowed host or `*.suffix` pattern. */
export function hostMatches(hostname: string, pattern: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (pattern.startsWith("*.")) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return host === pattern;
}

type Range<T> = { net: [T, number]; name: string };

function ranges<T extends ipaddr.IPv4 | ipaddr.IPv6>(parse: (cidr: string) => [T, number], table: [string, string][]): Range<T>[] {
  return table.map(([cidr, name]) => ({ net: parse(cidr), name: `${name} ${cidr}` }));
}

// IPv4 special-purpose ranges that are not globally reachable (IANA registry, RFC 6890 and later);
// the first match names the reason, so a range comes before any range that contains it.
const IPV4_REFUSED = ranges(
  (c) => ipaddr.IPv4.parseCIDR(c),
  [
    ["0.0.0.0/8", "this network"],
    ["10.0.0.0/8", "private"],
    ["100.64.0.0/10", "shared address space (carrier-grade NAT)"],
    ["127.0.0.0/8", "loopback"],
    ["169.254.0.0/16", "link-local"],
    ["172.16.0.0/12", "private"],
    ["192.0.0.0/24", "IETF protocol assignments"],
    ["192.0.2.0/24", "documentation (TEST-NET-1)"],
    ["192.88.99.0/24", "6to4 relay anycast (deprecated)"],
    ["192.168.0.0/16", "private"],
    ["198.18.0.0/15", "benchmarking"],
    ["198.51.100.0/24", "documentation (TEST-NET-2)"],
    ["203.0.113.0/24", "documentation (TEST-NET-3)"],
    ["224.0.0.0/4", "multicast"],
    ["255.255.255.255/32", "limited broadcast"],
    ["240.0.0.0/4", "reserved"],
  ],
);

// IPv6 ranges refused outright. Everything outside 2000::/3 (global unicast) is refused anyway;
// these give the reason a name. NAT64, 6to4, Teredo and the IPv4-mapped, -compatible and
// -translated forms are judged by the IPv4 address they embed (see embeddedIpv4).
const IPV6_REFUSED = ranges(
  (c) => ipaddr.IPv6.parseCIDR(c),
  [
    ["::/128", "unspecified"],
    ["::1/128", "loopback"],
    ["64:ff9b:1::/48", "local-use IPv4/IPv6 translation"],
    ["100::/64", "discard-only"],
    ["2001:db8::/32", "documentation"],
    ["2001::/23", "IETF protocol assignments"],
    ["3fff::/20", "documentation"],
    ["5f00::/16", "segment routing"],
    ["fc00::/7", "unique local"],
    ["fe80::/10", "link-local"],
    ["fec0::/10", "site-local (deprecated)"],
    ["ff00::/8", "multicast"],
  ],
);
const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR("2000::/3");

const v6 = (cidr: string) => ipaddr.IPv6.parseCIDR(cidr);
const UNSPECIFIED = v6("::/128");
const LOOPBACK = v6("::1/128");
const MAPPED = v6("::ffff:0:0/96");
const TRANSLATED = v6("::ffff:0:0:0/96");
const COMPATIBLE = v6("::/96");
const NAT64 = v6("64:ff9b::/96");
const SIX_TO_FOUR = v6("2002::/16");
const TEREDO = v6("2001::/32");

const ipv4Of = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);

/** The IPv4 addresses an IPv6 address carries, with the form's name; null when it carries none. */
function embeddedIpv4(a: ipaddr.IPv6): { form: string; addresses: ipaddr.IPv4[] } | null {
  const p = a.parts as [number, number, number, number, number, number, number, number];
  if (a.match(MAPPED)) return { form: "IPv4-mapped", addresses: [ipv4Of(p[6], p[7])] };
  if (a.match(TRANSLATED)) return { form: "IPv4-translated", addresses: [ipv4Of(p[6], p[7])] };
  if (a.match(NAT64)) return { form: "NAT64", addresses: [ipv4Of(p[6], p[7])] };
  if (a.match(SIX_TO_FOUR)) return { form: "6to4", addresses: [ipv4Of(p[1], p[2])] };
  // Teredo: the server's address in clear, the client's with every bit inverted.
  if (a.match(TEREDO)) return { form: "Teredo", addresses: [ipv4Of(p[2], p[3]), ipv4Of(p[6] ^ 0xffff, p[7] ^ 0xffff)] };
  // Past :: and ::1, the rest of ::/96 is the deprecated IPv4-compatible form.
  if (a.match(COMPATIBLE) && !a.match(UNSPECIFIED) && !a.match(LOOPBACK)) {
    return { form: "IPv4-compatible", addresses: [ipv4Of(p[6], p[7])] };
  }
  return null;
}

function ipv4Reason(a: ipaddr.IPv4): string | null {
  return IPV4_REFUSED.find((r) => a.match(r.net))?.name ?? null;
}

function ipv6Reason(a: ipaddr.IPv6): string | null {
  const embedded = embeddedIpv4(a);
  if (embedded) {
    for (const v4 of embedded.addresses) {
      const why = ipv4Reason(v4);
      if (why) return `${embedded.form} form of ${v4.toString()}: ${why}`;
    }
    return null;
  }
  const named = IPV6_REFUSED.find((r) => a.match(r.net));
  if (named) return named.name;
  return a.match(GLOBAL_UNICAST) ? null : "outside global unicast 2000::/3";
}

const SPECIAL_NAMES = /\.(localhost|local|internal|localdomain|home\.arpa|test|invalid|example|onion|alt)$/;

/**
 * Why a host is not on the public internet (loopback, private, link-local, reserved, a special
 * name), judged from the name alone; null when it is public. Workers cannot resolve DNS, so a
 * public name that resolves to a private address is left to the platform, which refuses those.
 * `hostname` is as `URL.hostname` gives it (IPv6 in brackets, IPv4 normalised to dotted decimal).
 */
export function nonPublicReason(hostname: string): string | null {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host.startsWith("[") && host.endsWith("]")) {
    const literal = host.slice(1, -1);
    return ipaddr.IPv6.isValid(literal) ? ipv6Reason(ipaddr.IPv6.parse(literal)) : "not a valid IPv6 address";
  }
  if (isIpv4(host)) return ipv4Reason(ipaddr.IPv4.parse(host));
  if (host === "localhost") return "loopback name";
  if (!host.includes(".")) return "a name without a domain";
  return SPECIAL_NAMES.test(host) ? "special-use domain name" : null;
}

/** Whether a host is not on the public internet (see `nonPublicReason`). */
export function isNonPublicHost(hostname: string): boolean {
  return nonPublicReason(hostname) !== null;
}

/**
 * Checks an outbound URL: absolute, `https:` (or `http:` in development), no credentials in it,
 * a public host in production, and a host among `allowedHosts` when that list is given. Checked
 * when a URL is saved and again before each request, so the rules in force at call time decide.
 */
export function checkOutboundUrl(raw: string, rules: UrlRules): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    return { ok: false, error: `${JSON.stringify(raw.slice(0, 200))} is not an absolute URL` };
  }
  const schemes = rules.development ? ["https:", "http:"] : ["https:"];
  if (!schemes.includes(url.protocol)) {
    return { ok: false, error: `only ${rules.development ? "http and https" : "https"} URLs are allowed, not ${url.protocol}` };
  }
  if (url.username !== "" || url.password !== "") return { ok: false, error: "URLs with user names or passwords are not allowed" };
  if (!rules.development) {
    const why = nonPublicReason(url.hostname);
    if (why) return { ok: false, error: `host ${url.hostname} is not a public internet host (${why})` };
  }
  if (rules.allowedHosts && !rules.allowedHosts.some((p) => hostMatches(url.hostname, p))) {
    const list = rules.allowedHosts.length > 0 ? rules.allowedHosts.join(", ") : "none";
    return { ok: false, error: `host ${url.hostname} is not in this agent's allowed_hosts (allowed: ${list})` };
  }
  return { ok: true, url };
}
