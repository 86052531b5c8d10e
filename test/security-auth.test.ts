// The auth matrix: every route the app serves, by credential kind, with the exact status and body
// of docs/api-guide.md (Authentication, and surface B's order of checks: missing token 400, invalid 401, other
// user's source 403). Routes are read from the app itself, so a new route cannot slip past.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApiKey } from "../src/auth/api-keys";
import { createSession } from "../src/auth/sessions";
import { INVALID_TOKEN_MESSAGE, MISSING_TOKEN_MESSAGE } from "../src/auth/user-auth";
import { createUser } from "../src/auth/users";
import { apiKeys } from "../src/db/schema";
import { ADMIN_KEY, createTestApp, type TestApp } from "./helpers/app";

const UNAUTHORIZED_A = { error: "Unauthorized", message: "Authentication required. Please provide a valid API token", code: 401 };

/** Routes anyone may call. Everything else must be under one of the two auth schemes. */
const PUBLIC = [/^GET \/swagger/, /^GET \/health$/, /^GET \/ready$/, /^GET \/metrics$/, /^POST \/auth\/login$/, /^GET \/($|\*|public)/];

let t: TestApp;
let revokedKey: string;
let owner: { id: string; token: string };
let other: { id: string; token: string };
let expiredToken: string;
let loggedOutToken: string;
let ownerSource: string;
let ownerWebhook: string;
let linkWebhook: string;

beforeAll(async () => {
  t = createTestApp();
  const db = t.deps.db;
  revokedKey = (await createApiKey(t.deps.store.apiKeys, { name: "revoked" })).key;
  db.update(apiKeys).set({ revokedAt: Date.now() - 1000 }).where(eq(apiKeys.name, "revoked")).run();
  const a = await createUser(t.deps.store.users, { email: "owner@auth.example", password: "owner password" });
  const b = await createUser(t.deps.store.users, { email: "other@auth.example", password: "other password" });
  owner = { id: a.id, token: (await createSession(t.deps.store.sessions, a.id)).token };
  other = { id: b.id, token: (await createSession(t.deps.store.sessions, b.id)).token };
  expiredToken = (await createSession(t.deps.store.sessions, a.id, Date.now() - 25 * 60 * 60 * 1000)).token;
  loggedOutToken = (await createSession(t.deps.store.sessions, a.id)).token;
  const out = await t.request("POST", "/auth/logout", undefined, { auth: { bearer: loggedOutToken } });
  expect(out.status).toBe(204);
  const source = await t.request("POST", "/traffic-sources", { name: "Checkout" }, { auth: { bearer: owner.token } });
  ownerSource = source.body.id;
  const hook = await t.request("POST", `/webhooks/${ownerSource}`, { type: "discord", level: "fatal", value: "123" }, { auth: { bearer: owner.token } });
  ownerWebhook = hook.body.id;
  const link = await t.request("POST", "/api/v1/links/webhooks", { url: "https://example.com/h", events: ["link.created"] });
  linkWebhook = link.body.data.id;
});
afterAll(() => t.close());

function routes(): { method: string; path: string }[] {
  return t.app.routes.map((r) => ({ method: r.method, path: r.path })).filter((r) => r.method !== "WS");
}

/** Fills path parameters with ids that exist, so a 404 can never stand in for an auth answer. */
function concrete(path: string): string {
  return path
    .replace(/\/links\/webhooks\/:id/, `/links/webhooks/${linkWebhook}`)
    .replace(/:trafficSourceId/, ownerSource)
    .replace(/\/traffic-sources\/:id/, `/traffic-sources/${ownerSource}`)
    .replace(/\/webhooks\/([^/]+)\/:id/, `/webhooks/$1/${ownerWebhook}`)
    .replace(/:\w+/g, "00000000-0000-0000-0000-000000000000");
}

const isPublic = (method: string, path: string) => PUBLIC.some((p) => p.test(`${method} ${path}`));
const isApiKeyRoute = (path: string) => path.startsWith("/api/v1/");

async function call(method: string, path: string, headers: Record<string, string>) {
  // A body that would fail validation: auth must be decided first.
  const hasBody = !["GET", "HEAD", "DELETE"].includes(method);
  return t.request(method, concrete(path), undefined, { auth: "none", headers, raw: hasBody ? '{"bogus": true' : undefined });
}

test("every route is public, API-key or session authenticated (the matrix below covers all)", () => {
  const all = routes();
  expect(all.length).toBeGreaterThan(15);
  for (const { method, path } of all) {
    const known = isPublic(method, path) || isApiKeyRoute(path) || /^\/(traffic-sources|webhooks|auth\/(me|logout|password))/.test(path);
    expect(known ? "classified" : `unclassified route ${method} ${path}`).toBe("classified");
  }
});

describe("surface A (API key): every bad credential is exactly 401 with the documented body", () => {
  const variants: [string, () => Record<string, string>][] = [
    ["missing", () => ({})],
    ["malformed (Basic)", () => ({ authorization: `Basic ${btoa("admin:" + ADMIN_KEY)}` })],
    ["malformed (Bearer with two words)", () => ({ authorization: `Bearer ${ADMIN_KEY} ${ADMIN_KEY}` })],
    ["malformed (empty x-api-key)", () => ({ "x-api-key": "" })],
    ["wrong", () => ({ authorization: "Bearer hr_wrongwrongwrongwrong" })],
    ["wrong x-api-key", () => ({ "x-api-key": ADMIN_KEY + "x" })],
    ["revoked (expired)", () => ({ authorization: `Bearer ${revokedKey}` })],
    ["a session token instead of a key", () => ({ authorization: `Bearer ${owner.token}` })],
  ];
  test.each(variants)("%s", async (_name, headers) => {
    const apiRoutes = routes().filter((r) => isApiKeyRoute(r.path));
    expect(apiRoutes.length).toBeGreaterThan(5);
    for (const { method, path } of apiRoutes) {
      const res = await call(method, path, headers());
      expect({ route: `${method} ${path}`, status: res.status, body: res.body }).toEqual({ route: `${method} ${path}`, status: 401, body: UNAUTHORIZED_A });
    }
  });
});

describe("surface B (session token): missing 400, invalid or expired 401, other user's 403", () => {
  const sessionRoutes = () => routes().filter((r) => !isPublic(r.method, r.path) && !isApiKeyRoute(r.path));
  const variants: [string, () => Record<string, string>, number, string][] = [
    ["missing", () => ({}), 400, MISSING_TOKEN_MESSAGE],
    ["malformed (Basic)", () => ({ authorization: `Basic ${btoa("owner@auth.example:owner password")}` }), 400, MISSING_TOKEN_MESSAGE],
    ["malformed (empty Bearer)", () => ({ authorization: "Bearer " }), 400, MISSING_TOKEN_MESSAGE],
    ["malformed (x-api-key only)", () => ({ "x-api-key": owner.token }), 400, MISSING_TOKEN_MESSAGE],
    ["wrong", () => ({ authorization: "Bearer hrs_wrongwrongwrongwrong" }), 401, INVALID_TOKEN_MESSAGE],
    ["expired", () => ({ authorization: `Bearer ${expiredToken}` }), 401, INVALID_TOKEN_MESSAGE],
    ["logged out", () => ({ authorization: `Bearer ${loggedOutToken}` }), 401, INVALID_TOKEN_MESSAGE],
    ["an API key instead of a token", () => ({ authorization: `Bearer ${ADMIN_KEY}` }), 401, INVALID_TOKEN_MESSAGE],
  ];
  test.each(variants)("%s", async (_name, headers, status, message) => {
    const list = sessionRoutes();
    expect(list.length).toBeGreaterThan(5);
    for (const { method, path } of list) {
      const res = await call(method, path, headers());
      expect({ route: `${method} ${path}`, status: res.status, error: res.body?.error, message: res.body?.message, code: res.body?.code }).toEqual({
        route: `${method} ${path}`,
        status,
        error: status === 400 ? "Bad Request" : "Unauthorized",
        message,
        code: status,
      });
    }
  });

  test("another user's traffic source is 403 on every route that names one, and nothing changes", async () => {
    const named = sessionRoutes().filter((r) => /:id|:trafficSourceId/.test(r.path));
    expect(named.length).toBeGreaterThanOrEqual(6);
    const dump = () => JSON.stringify(t.deps.db.$client.prepare("select * from traffic_source_webhooks order by id").all()) + JSON.stringify(t.deps.db.$client.prepare("select count(*) from events").get());
    const before = dump();
    for (const { method, path } of named) {
      const bodies: Record<string, unknown> = {
        "POST /webhooks/:trafficSourceId": { type: "discord", level: "info", value: "42" },
        "PATCH /webhooks/:trafficSourceId/:id": { level: "warning" },
        "POST /traffic-sources/:id/events": { level: "fatal", title: "t", message: "m" },
      };
      const body = bodies[`${method} ${path}`];
      const res = await t.request(method, concrete(path), body, { auth: { bearer: other.token } });
      expect({ route: `${method} ${path}`, status: res.status, error: res.body?.error }).toEqual({ route: `${method} ${path}`, status: 403, error: "Forbidden" });
    }
    expect(dump()).toBe(before);
  });

  test("listing shows only the caller's own sources", async () => {
    const res = await t.request("GET", "/traffic-sources", undefined, { auth: { bearer: other.token } });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(ownerSource);
  });
});
