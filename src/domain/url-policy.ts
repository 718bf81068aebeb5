// Where the runtime may send requests on an agent's or tenant's behalf (http_request, tenant HTTP
// tools, later webhooks): https to public hosts in production; http and loopback in development.

/** Outcome of checking an outbound URL: the parsed URL, or why it is refused. */
export type UrlCheck = { ok: true; url: URL } | { ok: false; error: string };

export interface UrlRules {
  /** Development allows `http:` and loopback or private addresses; production allows neither. */
  development: boolean;
  /** When given, the URL's host must match one of these (see `hostMatches`). */
  allowedHosts?: readonly string[];
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Whether `s` is a dotted IPv4 address with every part 0..255. */
export function isIpv4(s: string): boolean {
  return (
    IPV4.exec(s)
      ?.slice(1)
      .every((p) => Number(p) <= 255) ?? false
  );
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

function ipv4Private(s: string): boolean {
  const [a, b] = s.split(".").map(Number) as [number, number];
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

/**
 * Whether a host is loopback, private, link-local or otherwise not on the public internet, judged
 * from its name alone (Workers cannot resolve DNS; the platform refuses private targets anyway).
 */
export function isNonPublicHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host.startsWith("[")) {
    const v6 = host.slice(1, -1);
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(v6);
    if (mapped) return ipv4Private(mapped[1]!);
    // ::1, ::, unique-local fc00::/7, link-local fe80::/10, mapped forms in hex (::ffff:7f00:1).
    return v6 === "::1" || v6 === "::" || /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6) || v6.startsWith("::ffff:");
  }
  if (isIpv4(host)) return ipv4Private(host);
  return (
    host === "localhost" || !host.includes(".") || /\.(localhost|local|internal|localdomain|home\.arpa|test|invalid|example)$/.test(host)
  );
}

/**
 * Checks an outbound URL: absolute, `https:` (or `http:` in development), no credentials in it,
 * a public host in production, and a host among `allowedHosts` when that list is given.
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
  if (!rules.development && isNonPublicHost(url.hostname)) {
    return { ok: false, error: `host ${url.hostname} is not a public internet host` };
  }
  if (rules.allowedHosts && !rules.allowedHosts.some((p) => hostMatches(url.hostname, p))) {
    const list = rules.allowedHosts.length > 0 ? rules.allowedHosts.join(", ") : "none";
    return { ok: false, error: `host ${url.hostname} is not in this agent's allowed_hosts (allowed: ${list})` };
  }
  return { ok: true, url };
}
