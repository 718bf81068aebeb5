import { describe, expect, it } from "vitest";
import { secretKeyBytes, signatureFor, signedHeaders, verifySignature } from "../../src/domain/signature";

describe("Standard Webhooks signatures", () => {
  it("signs id.timestamp.body with the base64-decoded whsec_ key", async () => {
    // Independent expectation: HMAC-SHA256 over the same content with the same key bytes.
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const key = await crypto.subtle.importKey("raw", secretKeyBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode('msg_1.1700000000.{"a":1}')));
    expect(await signatureFor(secret, "msg_1", 1_700_000_000, '{"a":1}')).toBe(`v1,${btoa(String.fromCharCode(...mac))}`);
    expect(secretKeyBytes(secret)).toHaveLength(24);
  });

  it("verifies its own headers and rejects a changed body, a stale timestamp or another secret", async () => {
    const now = Date.now();
    const h = await signedHeaders("whsec_c2VjcmV0LW9uZQ", "msg_2", "body", now);
    const parts = { id: h["webhook-id"], timestamp: h["webhook-timestamp"], signature: h["webhook-signature"] };
    expect(await verifySignature("whsec_c2VjcmV0LW9uZQ", parts, "body", now)).toBe(true);
    expect(await verifySignature("whsec_c2VjcmV0LW9uZQ", parts, "body!", now)).toBe(false);
    expect(await verifySignature("whsec_c2VjcmV0LW9uZQ", parts, "body", now + 301_000)).toBe(false);
    expect(await verifySignature("whsec_b3RoZXI", parts, "body", now)).toBe(false);
    expect(await verifySignature("whsec_c2VjcmV0LW9uZQ", { ...parts, signature: `v1,bm9wZQ== ${parts.signature}` }, "body", now)).toBe(
      true,
    );
  });

  it("uses a secret without the whsec_ prefix as its UTF-8 bytes", () => {
    expect(new TextDecoder().decode(secretKeyBytes("plain-secret"))).toBe("plain-secret");
  });
});
