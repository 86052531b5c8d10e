// Standard Webhooks signatures (https://www.standardwebhooks.com): `v1,` + base64 of
// HMAC-SHA256 over `{id}.{timestamp}.{body}`, one entry per active secret, space-separated.

const WHSEC_PREFIX = "whsec_";

/** Key bytes: base64 after `whsec_` when the secret has that prefix, else its UTF-8 bytes. */
export function signingKey(secret: string): Buffer {
  return secret.startsWith(WHSEC_PREFIX) ? Buffer.from(secret.slice(WHSEC_PREFIX.length), "base64") : Buffer.from(secret, "utf8");
}

/**
 * HMAC state with the key already absorbed, per key Buffer: copying it skips the key schedule
 * (two SHA-256 blocks) that a new hasher pays on every signature.
 */
const keyed = new WeakMap<Buffer, Bun.CryptoHasher>();

/** One `v1,<base64>` signature. Bun's native hasher: about twice as fast as node:crypto's HMAC here. */
export function sign(key: Buffer, id: string, timestampSeconds: number, body: string): string {
  let hasher = keyed.get(key);
  if (!hasher) keyed.set(key, (hasher = new Bun.CryptoHasher("sha256", key)));
  return "v1," + hasher.copy().update(`${id}.${timestampSeconds}.${body}`).digest("base64");
}

/** The `webhook-signature` header value for every active secret, newest first. */
export function signatureHeader(keys: Buffer[], id: string, timestampSeconds: number, body: string): string {
  if (keys.length === 1) return sign(keys[0]!, id, timestampSeconds, body);
  return keys.map((key) => sign(key, id, timestampSeconds, body)).join(" ");
}
