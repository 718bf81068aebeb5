// Stream tickets: `tk.<stream>.<tenant>.<expires at, epoch ms>.<nonce>.<mac>`, signed with the
// deployment's signing secret; the stream is a run id or `events` (the tenant's event stream). The
// Worker checks the MAC, the stream and the expiry; the run's (or tenant's) object then lets each
// nonce open a stream once.

import { RUN_ID_PATTERN } from "./ids";
import { macMatches, macOf, randomHex } from "./mac";

/** How long a stream ticket is valid: 60 s. */
export const STREAM_TICKET_TTL_MS = 60_000;

/** Bytes of randomness in a ticket's nonce: 12 (24 hex characters). */
export const TICKET_NONCE_BYTES = 12;

/** The stream name of a ticket for the tenant's live event stream (GET /v1/events/stream). */
export const EVENTS_STREAM = "events";

/** What a ticket says: the stream (a run id or EVENTS_STREAM) and tenant it opens, until when (epoch ms), and its single-use nonce. */
export interface TicketClaims {
  runId: string;
  tenant: string;
  expiresAt: number;
  nonce: string;
}

/** A verified ticket's claims, or why it is refused (safe to show). */
export type TicketVerdict = { ok: true; claims: TicketClaims } | { ok: false; reason: string };

const TICKET = /^tk\.(run_[0-9a-z]{21}|events)\.([a-z0-9][a-z0-9-]{0,63})\.(\d{1,16})\.([0-9a-f]{24})\.([0-9a-f]{32})$/;

function fields(c: TicketClaims): string[] {
  return [c.runId, c.tenant, String(c.expiresAt), c.nonce];
}

/** New claims for a ticket to `runId` (or EVENTS_STREAM) of `tenant`, valid STREAM_TICKET_TTL_MS from `now` (epoch ms). */
export function newTicketClaims(runId: string, tenant: string, now: number): TicketClaims {
  if (runId !== EVENTS_STREAM && !RUN_ID_PATTERN.test(runId)) throw new Error(`not a run id: ${runId}`);
  return { runId, tenant, expiresAt: now + STREAM_TICKET_TTL_MS, nonce: randomHex(TICKET_NONCE_BYTES) };
}

/** The ticket string of `claims`, signed with `key`. */
export async function signTicket(key: CryptoKey, claims: TicketClaims): Promise<string> {
  return `tk.${fields(claims).join(".")}.${await macOf(key, "stream-ticket", fields(claims))}`;
}

/**
 * Checks a ticket presented for `runId` (or EVENTS_STREAM) at `now` (epoch ms): its shape and MAC,
 * that it names this stream and that it has not expired. Whether its nonce was already used is
 * for the stream's object to say.
 */
export async function verifyTicket(key: CryptoKey, ticket: string, runId: string, now: number): Promise<TicketVerdict> {
  const m = TICKET.exec(ticket);
  const invalid = { ok: false as const, reason: "stream ticket is not valid" };
  if (!m) return invalid;
  const claims: TicketClaims = { runId: m[1]!, tenant: m[2]!, expiresAt: Number(m[3]), nonce: m[4]! };
  if (!(await macMatches(key, "stream-ticket", fields(claims), m[5]!))) return invalid;
  if (claims.runId !== runId) {
    const eventsStream = claims.runId === EVENTS_STREAM || runId === EVENTS_STREAM;
    return { ok: false, reason: `stream ticket is for another ${eventsStream ? "stream" : "run"}` };
  }
  if (claims.expiresAt <= now) return { ok: false, reason: "stream ticket has expired" };
  return { ok: true, claims };
}
