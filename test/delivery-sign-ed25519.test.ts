// ed25519 signatures (Standard Webhooks `v1a`): what hookrelay signs, a receiver verifies with
// node:crypto and nothing but the published `whpk_` key.
import { describe, expect, test } from "bun:test";
import { createPublicKey, verify } from "node:crypto";
import { ed25519PrivateKey, ed25519PublicKey, ed25519SecretProblem, generateEd25519Secret, signEd25519 } from "../src/delivery/sign";

/** What a receiver does: rebuild the key from the 32 bytes after whpk_, verify the signed content. */
function receiverVerifies(publicKey: string, id: string, timestamp: number, body: string, header: string): boolean {
  const raw = Buffer.from(publicKey.slice("whpk_".length), "base64");
  const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" });
  return header.split(" ").some((entry) => {
    const [version, signature] = entry.split(",");
    return version === "v1a" && verify(null, Buffer.from(`${id}.${timestamp}.${body}`), key, Buffer.from(signature!, "base64"));
  });
}

describe("ed25519 signatures", () => {
  test("a generated secret signs v1a signatures that verify with its public key alone", () => {
    const secret = generateEd25519Secret();
    expect(secret).toMatch(/^whsk_[A-Za-z0-9+/]{43}=$/);
    expect(ed25519SecretProblem(secret)).toBeUndefined();
    const publicKey = ed25519PublicKey(secret);
    expect(publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    const body = '{"id":"evt_1","type":"order.created","created_at":"2026-12-02T00:00:00.000Z","data":{"n":1234567890123456789}}';
    const header = signEd25519(ed25519PrivateKey(secret), "evt_1", 1_764_633_600, body);
    expect(header).toStartWith("v1a,");
    expect(receiverVerifies(publicKey, "evt_1", 1_764_633_600, body, header)).toBe(true);
    // Any other content, or another key, does not verify.
    expect(receiverVerifies(publicKey, "evt_1", 1_764_633_601, body, header)).toBe(false);
    expect(receiverVerifies(publicKey, "evt_1", 1_764_633_600, body + " ", header)).toBe(false);
    expect(receiverVerifies(ed25519PublicKey(generateEd25519Secret()), "evt_1", 1_764_633_600, body, header)).toBe(false);
  });

  test("a whsk_ secret that is not 32 bytes of base64 is refused", () => {
    for (const bad of ["whsk_", "whsk_!!!!", `whsk_${Buffer.alloc(31).toString("base64")}`, `whsk_${Buffer.alloc(33, 1).toString("base64")}`]) {
      expect(ed25519SecretProblem(bad)).toBe("A secret starting with whsk_ must be base64 of a 32-byte ed25519 private key");
    }
  });
});
