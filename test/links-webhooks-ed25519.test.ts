// `signature: "ed25519"` on link webhooks: the API (create, read, PATCH, secret, rotation) and what
// a real receiver gets, verified with node:crypto and nothing but the published `whpk_` key.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac, createPublicKey, verify } from "node:crypto";
import { createDeliveryTestApp, startReceiver, waitFor, type DeliveryTestApp, type Receiver } from "./helpers/delivery";

let app: DeliveryTestApp;
let receiver: Receiver;

beforeAll(() => {
  app = createDeliveryTestApp();
  receiver = startReceiver();
});
afterAll(async () => {
  receiver.stop();
  await app.shutdown();
});

/** What a receiver does with a `whpk_` key: the 32 bytes after the prefix are the raw public key. */
function verifiesWith(publicKey: string, headers: Record<string, string>, body: string): boolean {
  const raw = Buffer.from(publicKey.slice("whpk_".length), "base64");
  const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" });
  const content = Buffer.from(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${body}`);
  return headers["webhook-signature"]!.split(" ").some((entry) => {
    const [version, signature] = entry.split(",");
    return version === "v1a" && verify(null, content, key, Buffer.from(signature!, "base64"));
  });
}

/** The Standard Webhooks HMAC check for a `whsec_` secret. */
function hmacVerifies(secret: string, headers: Record<string, string>, body: string): boolean {
  const expected = createHmac("sha256", Buffer.from(secret.slice("whsec_".length), "base64"))
    .update(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${body}`)
    .digest("base64");
  return headers["webhook-signature"]!.split(" ").includes(`v1,${expected}`);
}

async function secretOf(id: string) {
  const res = await app.request("GET", `/api/v1/links/webhooks/${id}/secret`);
  expect(res.status).toBe(200);
  return res.body.data;
}

/** Publishes one event and returns the request the receiver got for it. */
async function deliverOne(marker: number) {
  const published = await app.publish("link.clicked", { marker });
  expect(published.status).toBe(202);
  return waitFor(() => receiver.received.find((r) => JSON.parse(r.body).data.marker === marker), 5000, `delivery ${marker}`);
}

describe("ed25519 webhooks", () => {
  let webhookId: string;

  test("create with signature ed25519: a generated whsk_ key, the public key beside it on the secret route only", async () => {
    const created = await app.request("POST", "/api/v1/links/webhooks", { url: receiver.url, events: ["link.clicked"], signature: "ed25519" });
    expect(created.status).toBe(201);
    // The create answer stays the six documented fields.
    expect(Object.keys(created.body.data)).toEqual(["id", "url", "events", "active", "metadata", "created_at"]);
    webhookId = created.body.data.id;
    const read = await app.request("GET", `/api/v1/links/webhooks/${webhookId}`);
    expect(read.body.data.signature).toBe("ed25519");
    expect(read.text).not.toContain("whsk_");
    const secret = await secretOf(webhookId);
    expect(secret.secret).toMatch(/^whsk_[A-Za-z0-9+/]{43}=$/);
    expect(secret.public_key).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    expect(secret).toMatchObject({ signature: "ed25519", previous_secret_expires_at: null, previous_public_key: null });
    const listed = await app.request("GET", "/api/v1/links/webhooks?limit=100");
    expect(listed.text).not.toContain(secret.secret);
  });

  test("a delivery carries one v1a signature that verifies with the public key alone", async () => {
    const { public_key } = await secretOf(webhookId);
    const got = await deliverOne(1);
    expect(got.headers["webhook-signature"]).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    expect(verifiesWith(public_key, got.headers, got.body)).toBe(true);
    expect(verifiesWith(public_key, { ...got.headers, "webhook-timestamp": "1" }, got.body)).toBe(false);
  });

  test("after a rotation both keys sign, each verifying with its own public key", async () => {
    const before = await secretOf(webhookId);
    const rotated = await app.request("POST", `/api/v1/links/webhooks/${webhookId}/secret/rotate`);
    expect(rotated.status).toBe(200);
    const after = await secretOf(webhookId);
    expect(after.secret).toStartWith("whsk_");
    expect(after.secret).not.toBe(before.secret);
    expect(after.previous_public_key).toBe(before.public_key);
    expect(after.previous_secret_expires_at).toBe(rotated.body.data.previous_secret_expires_at);
    const got = await deliverOne(2);
    const entries = got.headers["webhook-signature"]!.split(" ");
    expect(entries.map((e) => e.split(",")[0])).toEqual(["v1a", "v1a"]);
    // Each key alone verifies: the receiver that still holds the old public key keeps working.
    expect(verifiesWith(after.public_key, { ...got.headers, "webhook-signature": entries[0]! }, got.body)).toBe(true);
    expect(verifiesWith(before.public_key, { ...got.headers, "webhook-signature": entries[1]! }, got.body)).toBe(true);
  });

  test("a given whsk_ key is used as it is; a bad or mismatched one is a 400 naming secret", async () => {
    const own = (await secretOf(webhookId)).secret;
    const accepted = await app.request("POST", "/api/v1/links/webhooks", { url: receiver.url, events: ["link.created"], signature: "ed25519", secret: own });
    expect(accepted.status).toBe(201);
    expect((await secretOf(accepted.body.data.id)).secret).toBe(own);

    const mismatched = await app.request("POST", "/api/v1/links/webhooks", { url: receiver.url, events: ["link.created"], signature: "ed25519", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" });
    expect(mismatched.status).toBe(400);
    expect(mismatched.body.details).toEqual([{ field: "secret", message: expect.stringContaining("ed25519 private key") }]);
    // A whsk_ secret without signature ed25519 is refused rather than silently signing v1a.
    const implicit = await app.request("POST", "/api/v1/links/webhooks", { url: receiver.url, events: ["link.created"], secret: own });
    expect(implicit.status).toBe(400);
    expect(implicit.body.details).toEqual([{ field: "secret", message: "A whsk_ secret is an ed25519 private key: set signature to ed25519 to sign with it" }]);
    const bad = await app.request("POST", "/api/v1/links/webhooks", { url: "ftp://x", events: ["link.created"], signature: "rsa", secret: "whsk_short" });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { field: string }) => d.field).sort()).toEqual(["secret", "signature", "url"]);
    // PATCH of a secret alone must match the webhook's kind.
    const patched = await app.request("PATCH", `/api/v1/links/webhooks/${webhookId}`, { secret: "an-hmac-secret-of-mine" });
    expect(patched.status).toBe(400);
    expect(patched.body.details[0].field).toBe("secret");
    expect((await secretOf(webhookId)).secret).toStartWith("whsk_");
  });

  test("PATCH signature switches kind: a fresh key of the new kind, the old one signing beside it for 24 h", async () => {
    const old = await secretOf(webhookId);
    const toHmac = await app.request("PATCH", `/api/v1/links/webhooks/${webhookId}`, { signature: "hmac" });
    expect(toHmac.status).toBe(200);
    expect(toHmac.body.data.signature).toBe("hmac");
    expect(toHmac.text).not.toContain("whsk_");
    const now = await secretOf(webhookId);
    expect(now.secret).toMatch(/^whsec_/);
    expect(now).toMatchObject({ signature: "hmac", public_key: null, previous_public_key: old.public_key });
    const overlapMs = Date.parse(now.previous_secret_expires_at) - Date.now();
    expect(overlapMs).toBeGreaterThan(23 * 3_600_000);
    const got = await deliverOne(3);
    const entries = got.headers["webhook-signature"]!.split(" ");
    expect(entries.map((e) => e.split(",")[0])).toEqual(["v1", "v1a"]);
    expect(hmacVerifies(now.secret, got.headers, got.body)).toBe(true);
    expect(verifiesWith(old.public_key, got.headers, got.body)).toBe(true);

    // The same kind again changes nothing; back to ed25519 with a key of our own replaces it at once.
    expect((await app.request("PATCH", `/api/v1/links/webhooks/${webhookId}`, { signature: "hmac" })).status).toBe(200);
    expect((await secretOf(webhookId)).secret).toBe(now.secret);
    const own = (await secretOf((await app.createWebhook(receiver.url, ["link.deleted"], { signature: "ed25519" })).id)).secret;
    const back = await app.request("PATCH", `/api/v1/links/webhooks/${webhookId}`, { signature: "ed25519", secret: own });
    expect(back.status).toBe(200);
    expect(await secretOf(webhookId)).toMatchObject({ secret: own, signature: "ed25519", previous_secret_expires_at: null, previous_public_key: null });
  });

  test("an HMAC webhook reads signature hmac and its secret has no public key", async () => {
    const { id } = await app.createWebhook(receiver.url);
    expect((await app.request("GET", `/api/v1/links/webhooks/${id}`)).body.data.signature).toBe("hmac");
    expect(await secretOf(id)).toMatchObject({ signature: "hmac", public_key: null, previous_public_key: null });
  });
});
