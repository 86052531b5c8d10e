// Portal links (docs/tenancy.md): a short-lived tenant key that cannot publish, handed to the
// console in the URL fragment. Browsers never send a fragment, so the token stays out of every
// server's and proxy's logs; the console moves it to session storage and out of the history.
import { createApiKey, PORTAL_TOKEN_PREFIX } from "../auth/api-keys";
import type { ApiKeyStore } from "../db/aggregates/api-keys";
import { iso, randomBase62 } from "../ids";
import { DEFAULT_PORTAL_SECONDS } from "./model";

/** 404 when the tenant does not exist: the key's insert checks it in the same transaction. */
export async function createPortalLink(keys: ApiKeyStore, tenantId: string, expiresInSeconds: number | undefined, baseUrl: string, now = Date.now()) {
  const expiresAt = now + (expiresInSeconds ?? DEFAULT_PORTAL_SECONDS) * 1000;
  const token = PORTAL_TOKEN_PREFIX + randomBase62(40);
  await createApiKey(keys, { name: `portal link for ${tenantId}`, tenantId, canPublish: false, expiresAt, kind: "portal" }, token);
  return { url: `${baseUrl.replace(/\/+$/, "")}/#portal=${token}`, expires_at: iso(expiresAt) };
}
