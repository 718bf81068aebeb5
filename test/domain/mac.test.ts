// Signed credentials on their own: the signing-secret rules, API keys (issue, parse, MAC) and stream
// tickets (sign, verify and each reason for a refusal), and that a MAC of one purpose never passes
// for another.

import { describe, expect, it } from "vitest";
import { importSigningKey, macMatches, macOf, signingSecretProblem } from "../../src/domain/mac";
import { newTicketClaims, STREAM_TICKET_TTL_MS, signTicket, verifyTicket } from "../../src/domain/stream-ticket";
import { hashKey, issueKey, keyMacValid, keyTenant, parseKey } from "../../src/tenant/keys";

const SECRET = "a-signing-secret-of-at-least-32-characters";
const OTHER = "another-signing-secret-of-32-characters-or-more";
const RUN = "run_0mf3k2abc0123456789ab";

describe("signing secret", () => {
  it("must be set and at least 32 characters", () => {
    expect(signingSecretProblem(null)).toBe("is not set");
    expect(signingSecretProblem("x".repeat(31))).toBe("is shorter than 32 characters");
    expect(signingSecretProblem("x".repeat(32))).toBeNull();
  });

  it("a MAC made for API keys does not pass as a stream ticket's over the same fields", async () => {
    const key = await importSigningKey(SECRET);
    const fields = ["acme", "key_0mf3k2abc0123456789ab", "00ff"];
    const mac = await macOf(key, "api-key", fields);
    expect(mac).toMatch(/^[0-9a-f]{32}$/);
    expect(await macMatches(key, "api-key", fields, mac)).toBe(true);
    expect(await macMatches(key, "stream-ticket", fields, mac)).toBe(false);
    expect(await macMatches(await importSigningKey(OTHER), "api-key", fields, mac)).toBe(false);
  });
});

describe("API keys", () => {
  it("an issued key parses back to its tenant and id, its MAC holds under its secret only, and its hash is what is stored", async () => {
    const key = await importSigningKey(SECRET);
    const issued = await issueKey(key, "acme-co");
    const parsed = parseKey(issued.key);
    expect(parsed).toMatchObject({ tenant: "acme-co", keyId: issued.id });
    expect(await keyMacValid(key, parsed!)).toBe(true);
    expect(await keyMacValid(await importSigningKey(OTHER), parsed!)).toBe(false);
    expect(issued.hash).toBe(await hashKey(issued.key));
  });

  it("an unsigned key from before signed keys does not parse, but still names its tenant", () => {
    const legacy = "ec_acme_AbCdEfGhIjKlMnOpQrStUvWxYz012345";
    expect(parseKey(legacy)).toBeNull();
    expect(keyTenant(legacy)).toBe("acme");
    expect(parseKey("ec_Acme_key_0mf3k2abc0123456789ab_00112233445566778899aabbccddeeff_00112233445566778899aabbccddeeff")).toBeNull();
  });
});

describe("stream tickets", () => {
  it("verifies for its run until it expires, then names why it is refused", async () => {
    const key = await importSigningKey(SECRET);
    const now = 1_800_000_000_000;
    const claims = newTicketClaims(RUN, "acme", now);
    expect(claims.expiresAt).toBe(now + STREAM_TICKET_TTL_MS);
    const ticket = await signTicket(key, claims);
    expect(await verifyTicket(key, ticket, RUN, now + STREAM_TICKET_TTL_MS - 1)).toEqual({ ok: true, claims });
    expect(await verifyTicket(key, ticket, RUN, now + STREAM_TICKET_TTL_MS)).toEqual({ ok: false, reason: "stream ticket has expired" });
    expect(await verifyTicket(key, ticket, "run_0mf3k2abc0123456789ac", now)).toEqual({
      ok: false,
      reason: "stream ticket is for another run",
    });
    expect(await verifyTicket(await importSigningKey(OTHER), ticket, RUN, now)).toEqual({
      ok: false,
      reason: "stream ticket is not valid",
    });
    const otherTenant = ticket.replace(".acme.", ".evil.");
    expect(await verifyTicket(key, otherTenant, RUN, now)).toEqual({ ok: false, reason: "stream ticket is not valid" });
  });
});
