// Signing keys by webhook, decoded once and kept while the webhook's secrets stay the same (the
// HMAC state is cached per key Buffer, delivery/sign.ts; an ed25519 key is a parsed KeyObject):
// a claimed row costs no key decode.
import type { WebhookTarget } from "../db/store";
import { BoundedMap } from "../bounded-map";
import { decodeSigningKey, type SigningKey } from "./sign";

/** Webhooks whose keys stay cached; past it the cache empties (deleted webhooks leave with it). */
const KEY_CACHE_MAX = 10_000;

type KeyEntry = { secret: string; previousSecret: string | null; previousUntil: number | null; current: SigningKey[]; withPrevious: SigningKey[] };

export class SigningKeys {
  private readonly byWebhook = new BoundedMap<string, KeyEntry>(KEY_CACHE_MAX);

  /** The current secret's key, plus the previous one's while its overlap after a rotation lasts. */
  activeKeys(webhook: WebhookTarget, now: number): SigningKey[] {
    let entry = this.byWebhook.get(webhook.id);
    if (
      !entry ||
      entry.secret !== webhook.secret ||
      entry.previousSecret !== webhook.previousSecret ||
      entry.previousUntil !== webhook.previousSecretExpiresAt
    ) {
      const current = [decodeSigningKey(webhook.secret)];
      const withPrevious = webhook.previousSecret ? [current[0]!, decodeSigningKey(webhook.previousSecret)] : current;
      entry = { secret: webhook.secret, previousSecret: webhook.previousSecret, previousUntil: webhook.previousSecretExpiresAt, current, withPrevious };
      this.byWebhook.set(webhook.id, entry);
    }
    return entry.previousUntil !== null && entry.previousUntil > now ? entry.withPrevious : entry.current;
  }
}
