// Portal links (docs/tenancy.md): a short-lived tenant key that cannot publish, handed to the
// console in the URL fragment. Browsers never send a fragment, so the token stays out of every
// server's and proxy's logs; the console moves it to session storage and out of the history.
import { createApiKey, PORTAL_TOKEN_PREFIX } from "../auth/api-keys";
import type { Db } from "../db/client";
import { iso, randomBase62 } from "../ids";
import { DEFAULT_PORTAL_SECONDS } from "./model";
import { getTenant } from "./service";

export function createPortalLink(db: Db, tenantId: string, expiresInSeconds: number | undefined, baseUrl: string, now = Date.now()) {
  const tenant = getTenant(db, tenantId);
  const expiresAt = now + (expiresInSeconds ?? DEFAULT_PORTAL_SECONDS) * 1000;
  const token = PORTAL_TOKEN_PREFIX + randomBase62(40);
  createApiKey(db, { name: `portal link for ${tenant.id}`, tenantId: tenant.id, canPublish: false, expiresAt, kind: "portal" }, token);
  return { url: `${baseUrl.replace(/\/+$/, "")}/#portal=${token}`, expires_at: iso(expiresAt) };
}
