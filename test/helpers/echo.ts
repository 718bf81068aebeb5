// Workerd-side client of the local echo server (test/support/echo-server.ts): its URLs, the secret
// it verifies a scope's HTTP tool calls with, and what it received.

import type { ReceivedRequest } from "../support/echo-server";
import { supportUrl } from "./fake-model";

export type { ReceivedRequest };

/** `http://127.0.0.1:<port>` of the echo server. */
export function echoUrl(): string {
  return supportUrl("echo");
}

/** Tells the echo server to verify `/hook/<scope>/...` calls with `secret`. */
export async function trustSecret(scope: string, secret: string): Promise<void> {
  const res = await fetch(`${echoUrl()}/_control/secret`, { method: "POST", body: JSON.stringify({ scope, secret }) });
  if (!res.ok) throw new Error(`echo secret: ${res.status}`);
}

/** Requests the echo server received under `scope`, oldest first. */
export async function received(scope: string): Promise<ReceivedRequest[]> {
  const res = await fetch(`${echoUrl()}/_control/received?scope=${encodeURIComponent(scope)}`);
  return ((await res.json()) as { requests: ReceivedRequest[] }).requests;
}
