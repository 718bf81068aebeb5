import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { newSigningSecret, secretKeyBytes, signatureFor, signedHeaders, standardSecret, verifySignature } from "../../src/domain/signature";

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

  it("issues secrets in the standard base64 alphabet that the standardwebhooks library signs alike", async () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secretKeyBytes(secret)).toHaveLength(32);
    const ts = new Date(1_700_000_000_000);
    expect(await signatureFor(secret, "msg_3", 1_700_000_000, "{}")).toBe(new Webhook(secret).sign("msg_3", ts, "{}"));
  });

  it("rewrites a URL-safe secret in standard base64 with the same key bytes", () => {
    expect(standardSecret("whsec_-_-_")).toBe("whsec_+/+/");
    expect(standardSecret("whsec_YWJj")).toBe("whsec_YWJj");
    expect(standardSecret("whsec_YQ")).toBe("whsec_YQ==");
    expect(secretKeyBytes(standardSecret("whsec_-_-_"))).toEqual(secretKeyBytes("whsec_-_-_"));
    expect(standardSecret("plain-secret")).toBe("plain-secret");
  });
});
