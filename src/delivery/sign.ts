// Standard Webhooks signatures (https://www.standardwebhooks.com): `v1,` + base64 of
// HMAC-SHA256 over `{id}.{timestamp}.{body}`, or `v1a,` + base64 of its ed25519 signature, one
// entry per active secret, space-separated.

import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as signWith, type KeyObject } from "node:crypto";
import { BoundedMap } from "../bounded-map";

/** Marks a secret whose key bytes are the base64 after it (generated secrets have it). */
export const WHSEC_PREFIX = "whsec_";

/** Key bytes: base64 after `whsec_` when the secret has that prefix, else its UTF-8 bytes. */
export function signingKey(secret: string): Buffer {
  return secret.startsWith(WHSEC_PREFIX) ? Buffer.from(secret.slice(WHSEC_PREFIX.length), "base64") : Buffer.from(secret, "utf8");
}

/**
 * HMAC state with the key already absorbed, per key Buffer: copying it skips the key schedule
 * (two SHA-256 blocks) that a new hasher pays on every signature.
 */
const keyed = new WeakMap<Buffer, Bun.CryptoHasher>();

/** One `v1,<base64>` signature, with Bun's native hasher: cheaper per signature than node:crypto's HMAC. */
export function sign(key: Buffer, id: string, timestampSeconds: number, body: string): string {
  let hasher = keyed.get(key);
  if (!hasher) keyed.set(key, (hasher = new Bun.CryptoHasher("sha256", key)));
  return "v1," + hasher.copy().update(`${id}.${timestampSeconds}.${body}`).digest("base64");
}

/** A decoded signing key: HMAC key bytes (`v1`), or an ed25519 private key (`v1a`). */
export type SigningKey = Buffer | KeyObject;

function signWithKey(key: SigningKey, id: string, timestampSeconds: number, body: string): string {
  return Buffer.isBuffer(key) ? sign(key, id, timestampSeconds, body) : signEd25519(key, id, timestampSeconds, body);
}

/**
 * The `webhook-signature` header value for every active secret, newest first. After a switch of
 * signature kind the two may differ (`v1a,… v1,…`): receivers check the entries they know.
 */
export function signatureHeader(keys: SigningKey[], id: string, timestampSeconds: number, body: string): string {
  if (keys.length === 1) return signWithKey(keys[0]!, id, timestampSeconds, body);
  return keys.map((key) => signWithKey(key, id, timestampSeconds, body)).join(" ");
}

// Asymmetric signatures (Standard Webhooks `v1a`): ed25519 over the same `{id}.{timestamp}.{body}`.
// The webhook holds `whsk_` + base64 of the 32-byte private key; receivers verify with the public
// key, `whpk_` + base64 of its 32 bytes, which may be published: it cannot sign.

export const ED25519_SECRET_PREFIX = "whsk_";
export const ED25519_PUBLIC_PREFIX = "whpk_";
/** PKCS#8 wrapping of a raw 32-byte ed25519 private key (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

export function isEd25519Secret(secret: string): boolean {
  return secret.startsWith(ED25519_SECRET_PREFIX);
}

/** How a webhook signs: the kind of its current secret (docs/api-guide.md#signatures). */
export type SignatureKind = "hmac" | "ed25519";

/**
 * A secret's kind is its prefix: `whsk_` is an ed25519 private key, anything else an HMAC secret.
 * A `whsk_` secret that is no valid key (only possible if stored before such secrets were
 * checked) stays HMAC, as it was then.
 */
export function signatureKindOf(secret: string): SignatureKind {
  return isEd25519Secret(secret) && ed25519SecretProblem(secret) === undefined ? "ed25519" : "hmac";
}

/** The key a secret signs with, decoded. */
export function decodeSigningKey(secret: string): SigningKey {
  return signatureKindOf(secret) === "ed25519" ? ed25519PrivateKey(secret) : signingKey(secret);
}

export function generateEd25519Secret(): string {
  const { privateKey } = generateKeyPairSync("ed25519");
  const raw = privateKey.export({ format: "der", type: "pkcs8" }).subarray(PKCS8_ED25519_PREFIX.length);
  return ED25519_SECRET_PREFIX + Buffer.from(raw).toString("base64");
}

/** Why a `whsk_` secret cannot sign, or undefined. */
export function ed25519SecretProblem(secret: string): string | undefined {
  const raw = Buffer.from(secret.slice(ED25519_SECRET_PREFIX.length), "base64");
  return raw.length === 32 && /^[A-Za-z0-9+/]+={0,2}$/.test(secret.slice(ED25519_SECRET_PREFIX.length))
    ? undefined
    : "A secret starting with whsk_ must be base64 of a 32-byte ed25519 private key";
}

const MAX_KEY_OBJECTS = 4096;
/** Parsed keys by secret text: a changed secret is a new entry, so none goes stale. */
const keyObjects = new BoundedMap<string, KeyObject>(MAX_KEY_OBJECTS);

export function ed25519PrivateKey(secret: string): KeyObject {
  let key = keyObjects.get(secret);
  if (!key) {
    const raw = Buffer.from(secret.slice(ED25519_SECRET_PREFIX.length), "base64");
    key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, raw]), format: "der", type: "pkcs8" });
    keyObjects.set(secret, key);
  }
  return key;
}

/** The `whpk_` public key receivers verify with. */
export function ed25519PublicKey(secret: string): string {
  const spki = createPublicKey(ed25519PrivateKey(secret)).export({ format: "der", type: "spki" });
  return ED25519_PUBLIC_PREFIX + Buffer.from(spki.subarray(spki.length - 32)).toString("base64");
}

/** One `v1a,<base64>` signature. */
export function signEd25519(key: KeyObject, id: string, timestampSeconds: number, body: string): string {
  return "v1a," + signWith(null, Buffer.from(`${id}.${timestampSeconds}.${body}`), key).toString("base64");
}
