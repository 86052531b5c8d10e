// API key authentication for every /api/v1/* route: `Authorization: Bearer <key>` or
// `x-api-key: <key>`. The gate runs when the request arrives, before the body is read or
// validated, so an unauthenticated caller always gets the 401 and never learns about routes
// or validation rules. The `apiKey: true` route option then hands the caller to handlers;
// `platformOnly: true` refuses tenant keys (docs/tenancy.md).
import { Elysia } from "elysia";
import type { ApiKeyStore } from "../db/aggregates/api-keys";
import { Forbidden, Unauthorized } from "../http/errors";
import { annotateRequest } from "../http/request-log";
import { sha256Hex, verifiedKey, type Caller } from "./api-keys";

const API_PREFIX = "/api/v1/";
const authenticated = new WeakMap<Request, Caller>();

export function bearerOf(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

function presentedKey(headers: Headers): string | undefined {
  return bearerOf(headers.get("authorization")) ?? (headers.get("x-api-key")?.trim() || undefined);
}

/** The path (with query) of an absolute request URL, without building a URL object. */
export function pathOf(url: string): string {
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  return pathStart === -1 ? "/" : url.slice(pathStart);
}

function isApiPath(url: string): boolean {
  return pathOf(url).startsWith(API_PREFIX);
}

/**
 * Refreshes `last_used_at` in the next group commit, off the request's path: a key is stale
 * at most once a minute, and a failed refresh (the database busy) only leaves it older.
 * Keys whose refresh is already queued are not queued again by the requests of the same turn.
 */
function lastUsedRefresher(keys: ApiKeyStore) {
  const queued = new Set<string>();
  return (keyId: string) => {
    if (queued.has(keyId)) return;
    queued.add(keyId);
    keys
      .touch(keyId, Date.now())
      .catch(() => {})
      .finally(() => queued.delete(keyId));
  };
}

/** Registered once by the app: rejects unauthenticated /api/v1/* requests on arrival. */
export function apiKeyGate(keys: ApiKeyStore) {
  const refreshLastUsed = lastUsedRefresher(keys);
  return new Elysia({ name: "auth/api-key-gate" }).onRequest(async ({ request }) => {
    if (!isApiPath(request.url)) return;
    const key = presentedKey(request.headers);
    if (!key) throw new Unauthorized();
    // One read of the key's row per request: a revocation anywhere holds on the next one.
    const hash = sha256Hex(key);
    const verified = verifiedKey(await keys.findUnrevoked(hash), hash);
    if (!verified) throw new Unauthorized();
    if (verified.stale) refreshLastUsed(verified.keyId);
    authenticated.set(request, verified);
    if (verified.tenantId !== null) annotateRequest(request, "tenant_id", verified.tenantId);
  });
}

export function callerOf(request: Request): Caller {
  const caller = authenticated.get(request);
  // Only reachable if a route outside /api/v1/ asks for a key: the gate did not run.
  if (!caller) throw new Unauthorized();
  return caller;
}

export const PLATFORM_ONLY_MESSAGE = "This route needs a platform API key (one created without a tenant)";

/**
 * Route options `apiKey: true`: resolves the `caller` (and documents the route as
 * authenticated); `platformOnly: true`: the same, refusing tenant keys with 403.
 */
export const apiKeyAuth = new Elysia({ name: "auth/api-key" }).macro({
  apiKey: {
    resolve({ request }) {
      return { caller: callerOf(request) };
    },
  },
  platformOnly: {
    resolve({ request }) {
      const caller = callerOf(request);
      if (caller.tenantId !== null) throw new Forbidden(PLATFORM_ONLY_MESSAGE);
      return { caller };
    },
  },
});
