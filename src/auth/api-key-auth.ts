// API key authentication for every /api/v1/* route: `Authorization: Bearer <key>` or
// `x-api-key: <key>`. The gate runs when the request arrives, before the body is read or
// validated, so an unauthenticated caller always gets the 401 and never learns about routes
// or validation rules. The `apiKey: true` route option then hands the key id to handlers.
import { Elysia } from "elysia";
import type { Db } from "../db/client";
import { Unauthorized } from "../http/errors";
import { verifyApiKey } from "./api-keys";

const API_PREFIX = "/api/v1/";
const authenticated = new WeakMap<Request, string>();

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

/** Registered once by the app: rejects unauthenticated /api/v1/* requests on arrival. */
export function apiKeyGate(db: Db) {
  return new Elysia({ name: "auth/api-key-gate" }).onRequest(({ request }) => {
    if (!isApiPath(request.url)) return;
    const key = presentedKey(request.headers);
    const apiKeyId = key ? verifyApiKey(db, key) : undefined;
    if (!apiKeyId) throw new Unauthorized();
    authenticated.set(request, apiKeyId);
  });
}

/** Route option `apiKey: true`: resolves `apiKeyId` (and documents the route as authenticated). */
export const apiKeyAuth = new Elysia({ name: "auth/api-key" }).macro({
  apiKey: {
    resolve({ request }) {
      const apiKeyId = authenticated.get(request);
      // Only reachable if a route outside /api/v1/ asks for a key: the gate did not run.
      if (!apiKeyId) throw new Unauthorized();
      return { apiKeyId };
    },
  },
});

/**
 * Route option `platformKey: true`: an API key that acts beyond one tenant (user management).
 * Today every key is a platform key, so it admits what `apiKey: true` admits; this is the one
 * place where keys scoped to a tenant are to be refused.
 */
export const platformKeyAuth = new Elysia({ name: "auth/platform-key" }).macro({
  platformKey: {
    resolve({ request }) {
      const apiKeyId = authenticated.get(request);
      if (!apiKeyId) throw new Unauthorized();
      return { apiKeyId };
    },
  },
});
