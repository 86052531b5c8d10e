// Every /api/v1 route × every kind of caller: a platform key, a key of the tenant that owns the
// objects, a key of another tenant, a revoked key and an expired key. Routes are read from the
// app, so a new route without a row here fails. Nothing of one tenant may reach another: the
// other tenant's answers hold none of the owner's ids or secrets, and its 404s are exactly the
// answer for an id that does not exist.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApiKey } from "../src/auth/api-keys";
import { ADMIN_KEY, createTestApp, type TestApp, type TestResponse } from "./helpers/app";

type CallerName = "platform" | "own" | "other" | "revoked" | "expired";
const CALLERS: CallerName[] = ["platform", "own", "other", "revoked", "expired"];

let t: TestApp;
/** A user for the user routes; a delete gets one of its own. */
let userId: string;
function freshUserId(): string {
  const id = crypto.randomUUID();
  t.deps.db.$client
    .prepare("insert into users (id, email, password_hash, created_at, updated_at) values (?, ?, 'x', 0, 0)")
    .run(id, `${id}@example.com`);
  return id;
}
const keys = {} as Record<CallerName, string>;
/** Every id and secret tenant acme owns: none may appear in an answer to globex's key. */
const acmeSecrets = new Set<string>();

interface Fixture {
  webhook: string;
  delivery: string;
  event: string;
  key: string;
}

/** Fresh objects of tenant acme for one request (a delete must not take the next caller's row). */
async function acmeFixture(): Promise<Fixture> {
  const hook = await t.request("POST", "/api/v1/links/webhooks", { url: "https://acme.example.com/in", events: ["link.clicked"], tenant_id: "acme" });
  const webhook = hook.body.data.id;
  const published = await t.request("POST", "/api/v1/events", { type: "link.clicked", data: { secret_of: "acme" }, tenant_id: "acme" });
  const event = published.body.data.id;
  const log = await t.request("GET", `/api/v1/links/webhooks/${webhook}/deliveries`);
  const delivery = log.body.data[0].id;
  // Failed, so retry and recover have something to do.
  t.deps.db.$client.prepare("update deliveries set status = 'failed' where id = ?").run(delivery);
  const secret = (await t.request("GET", `/api/v1/links/webhooks/${webhook}/secret`)).body.data.secret;
  const key = (await createApiKey(t.deps.store.apiKeys, { name: "acme extra", tenantId: "acme" })).id;
  for (const value of [webhook, event, delivery, secret, key]) acmeSecrets.add(value);
  return { webhook, delivery, event, key };
}

interface Case {
  method: string;
  path: string;
  body?: unknown;
  /** What a platform key and the owner's key get; the other tenant's key gets `other`. */
  expect: Partial<Record<CallerName, number>>;
  /** For `other`: the same request with ids that do not exist, whose answer must be identical. */
  missing?: (f: Fixture) => { path: string; body?: unknown };
}

const NOW = new Date(Date.now() - 60_000).toISOString();
const owned = (ok: number) => ({ platform: ok, own: ok, other: 404 });
const platformOnly = (ok: number) => ({ platform: ok, own: 403, other: 403 });
const everyone = (ok: number) => ({ platform: ok, own: ok, other: ok });
const MISSING_WEBHOOK = "whk_0000000000000000000000";
const MISSING_DELIVERY = "dlv_0000000000000000000000";

/** One row per route; `route` is the app's own pattern. */
const CASES: Record<string, (f: Fixture) => Case> = {
  "POST /api/v1/links/webhooks": () => ({
    method: "POST", path: "/api/v1/links/webhooks",
    body: { url: "https://acme.example.com/new", events: ["link.created"], tenant_id: "acme" },
    // Naming a tenant that is not yours is answered as naming one that does not exist.
    expect: { platform: 201, own: 201, other: 400 },
  }),
  "GET /api/v1/links/webhooks": () => ({ method: "GET", path: "/api/v1/links/webhooks?tenant_id=acme", expect: { platform: 200, own: 200, other: 400 } }),
  "GET /api/v1/links/webhooks/:id": (f) => ({
    method: "GET", path: `/api/v1/links/webhooks/${f.webhook}`, expect: owned(200),
    missing: () => ({ path: `/api/v1/links/webhooks/${MISSING_WEBHOOK}` }),
  }),
  "PATCH /api/v1/links/webhooks/:id": (f) => ({
    method: "PATCH", path: `/api/v1/links/webhooks/${f.webhook}`, body: { metadata: { changed: true } }, expect: owned(200),
    missing: () => ({ path: `/api/v1/links/webhooks/${MISSING_WEBHOOK}`, body: { metadata: { changed: true } } }),
  }),
  "DELETE /api/v1/links/webhooks/:id": (f) => ({
    method: "DELETE", path: `/api/v1/links/webhooks/${f.webhook}`, expect: owned(200),
    missing: () => ({ path: `/api/v1/links/webhooks/${MISSING_WEBHOOK}` }),
  }),
  "GET /api/v1/links/webhooks/:id/secret": (f) => ({
    method: "GET", path: `/api/v1/links/webhooks/${f.webhook}/secret`, expect: owned(200),
    missing: () => ({ path: `/api/v1/links/webhooks/${MISSING_WEBHOOK}/secret` }),
  }),
  "POST /api/v1/links/webhooks/:id/secret/rotate": (f) => ({
    method: "POST", path: `/api/v1/links/webhooks/${f.webhook}/secret/rotate`, expect: owned(200),
    missing: () => ({ path: `/api/v1/links/webhooks/${MISSING_WEBHOOK}/secret/rotate` }),
  }),
  "POST /api/v1/links/webhooks/:id/test": (f) => ({
    method: "POST", path: `/api/v1/links/webhooks/${f.webhook}/test`, expect: owned(202),
    missing: () => ({ path: `/api/v1/links/webhooks/${MISSING_WEBHOOK}/test` }),
  }),
  "POST /api/v1/links/webhooks/:id/recover": (f) => ({
    method: "POST", path: `/api/v1/links/webhooks/${f.webhook}/recover`, body: { since: NOW }, expect: owned(202),
    missing: () => ({ path: `/api/v1/links/webhooks/${MISSING_WEBHOOK}/recover`, body: { since: NOW } }),
  }),
  "GET /api/v1/links/webhooks/:id/deliveries": (f) => ({
    method: "GET", path: `/api/v1/links/webhooks/${f.webhook}/deliveries`, expect: owned(200),
    missing: () => ({ path: `/api/v1/links/webhooks/${MISSING_WEBHOOK}/deliveries` }),
  }),
  "GET /api/v1/deliveries/:id": (f) => ({
    method: "GET", path: `/api/v1/deliveries/${f.delivery}`, expect: owned(200),
    missing: () => ({ path: `/api/v1/deliveries/${MISSING_DELIVERY}` }),
  }),
  "POST /api/v1/deliveries/:id/retry": (f) => ({
    method: "POST", path: `/api/v1/deliveries/${f.delivery}/retry`, expect: owned(202),
    missing: () => ({ path: `/api/v1/deliveries/${MISSING_DELIVERY}/retry` }),
  }),
  "POST /api/v1/events": () => ({
    method: "POST", path: "/api/v1/events", body: { type: "link.clicked", data: { n: 1 }, tenant_id: "acme" },
    expect: { platform: 202, own: 202, other: 400 },
  }),
  "GET /api/v1/events": () => ({ method: "GET", path: "/api/v1/events?tenant_id=acme", expect: { platform: 200, own: 200, other: 400 } }),
  "GET /api/v1/events/:id": (f) => ({ method: "GET", path: `/api/v1/events/${f.event}?tenant_id=acme`, expect: { platform: 200, own: 200, other: 400 } }),
  "GET /api/v1/deliveries": () => ({ method: "GET", path: "/api/v1/deliveries?tenant_id=acme", expect: { platform: 200, own: 200, other: 400 } }),
  "POST /api/v1/deliveries/retry": () => ({
    method: "POST", path: "/api/v1/deliveries/retry", body: { tenant_id: "acme" }, expect: { platform: 202, own: 202, other: 400 },
  }),
  "PUT /api/v1/event-types/:name": () => ({
    method: "PUT", path: `/api/v1/event-types/order.n${crypto.randomUUID().slice(0, 8)}`, body: { description: "d" }, expect: platformOnly(201),
  }),
  "GET /api/v1/event-types": () => ({ method: "GET", path: "/api/v1/event-types", expect: everyone(200) }),
  "PUT /api/v1/tenants/:id": () => ({ method: "PUT", path: "/api/v1/tenants/acme", body: { name: "Acme Retail" }, expect: platformOnly(200) }),
  "GET /api/v1/tenants": () => ({ method: "GET", path: "/api/v1/tenants", expect: platformOnly(200) }),
  "GET /api/v1/tenants/:id": () => ({ method: "GET", path: "/api/v1/tenants/acme", expect: platformOnly(200) }),
  // A tenant of its own per request: deleting acme would take every fixture with it.
  "DELETE /api/v1/tenants/:id": () => ({ method: "DELETE", path: "/api/v1/tenants/short-lived", expect: platformOnly(200) }),
  "POST /api/v1/tenants/:id/portal": () => ({ method: "POST", path: "/api/v1/tenants/acme/portal", body: {}, expect: platformOnly(201) }),
  "POST /api/v1/api-keys": () => ({ method: "POST", path: "/api/v1/api-keys", body: { name: "new", tenant_id: "acme" }, expect: platformOnly(201) }),
  "GET /api/v1/api-keys": () => ({ method: "GET", path: "/api/v1/api-keys?tenant_id=acme", expect: platformOnly(200) }),
  "GET /api/v1/api-keys/current": () => ({ method: "GET", path: "/api/v1/api-keys/current", expect: everyone(200) }),
  "DELETE /api/v1/api-keys/:id": (f) => ({ method: "DELETE", path: `/api/v1/api-keys/${f.key}`, expect: platformOnly(200) }),
  "GET /api/v1/users": () => ({ method: "GET", path: "/api/v1/users", expect: platformOnly(200) }),
  "GET /api/v1/users/:id": () => ({ method: "GET", path: `/api/v1/users/${userId}`, expect: platformOnly(200) }),
  "PATCH /api/v1/users/:id": () => ({ method: "PATCH", path: `/api/v1/users/${userId}`, body: { name: "Renamed" }, expect: platformOnly(200) }),
  "DELETE /api/v1/users/:id": () => ({ method: "DELETE", path: `/api/v1/users/${freshUserId()}`, expect: platformOnly(204) }),
  "POST /api/v1/users/:id/password": () => ({ method: "POST", path: `/api/v1/users/${userId}/password`, body: {}, expect: platformOnly(200) }),
  "DELETE /api/v1/users/:id/sessions": () => ({ method: "DELETE", path: `/api/v1/users/${userId}/sessions`, expect: platformOnly(200) }),
  "POST /api/v1/users": () => ({
    method: "POST", path: "/api/v1/users", body: { email: `u${crypto.randomUUID()}@example.com`, password: "a long password" },
    expect: platformOnly(201),
  }),
};

beforeAll(async () => {
  t = createTestApp();
  const db = t.deps.db;
  for (const id of ["acme", "globex"]) expect((await t.request("PUT", `/api/v1/tenants/${id}`, { name: id })).status).toBe(201);
  keys.platform = ADMIN_KEY;
  keys.own = (await createApiKey(t.deps.store.apiKeys, { name: "acme", tenantId: "acme", canPublish: true })).key;
  keys.other = (await createApiKey(t.deps.store.apiKeys, { name: "globex", tenantId: "globex", canPublish: true })).key;
  const revoked = await createApiKey(t.deps.store.apiKeys, { name: "acme revoked", tenantId: "acme", canPublish: true });
  db.$client.prepare("update api_keys set revoked_at = ? where id = ?").run(Date.now(), revoked.id);
  keys.revoked = revoked.key;
  keys.expired = (await createApiKey(t.deps.store.apiKeys, { name: "acme expired", tenantId: "acme", canPublish: true, expiresAt: Date.now() - 1 })).key;
  userId = freshUserId();
  // globex has objects of its own, so its answers are not empty by chance.
  await t.request("POST", "/api/v1/links/webhooks", { url: "https://globex.example.com/in", events: ["link.clicked"], tenant_id: "globex" });
});
afterAll(() => t.close());

async function send(c: { method: string; path: string; body?: unknown }, caller: CallerName): Promise<TestResponse> {
  if (c.path === "/api/v1/tenants/short-lived") await t.request("PUT", c.path, {});
  return t.request(c.method, c.path, c.body, { auth: { bearer: keys[caller] } });
}

test("every /api/v1 route has a row in the matrix", () => {
  const served = t.app.routes.filter((r) => r.path.startsWith("/api/v1")).map((r) => `${r.method} ${r.path}`);
  expect(served.sort()).toEqual(Object.keys(CASES).sort());
});

describe.each(Object.keys(CASES))("%s", (route) => {
  test.each(CALLERS)("as %s", async (caller) => {
    const f = await acmeFixture();
    const c = CASES[route]!(f);
    const res = await send(c, caller);
    const expected = caller === "revoked" || caller === "expired" ? 401 : c.expect[caller];
    expect({ caller, status: res.status, body: res.status === expected ? undefined : res.body }).toEqual({ caller, status: expected!, body: undefined });
    if (caller !== "other") return;
    for (const value of acmeSecrets) {
      // A 404 names the id that was asked for, exactly as for an id that does not exist (below).
      if (res.status === 404 && c.path.includes(value)) continue;
      expect(res.text).not.toContain(value);
    }
    if (c.missing) {
      const m = c.missing(f);
      const answer = await send({ method: c.method, ...m }, caller);
      const asked = (c.path.match(/(whk|dlv)_[0-9A-Za-z]+/) ?? [""])[0];
      const unknown = (m.path.match(/(whk|dlv)_[0-9A-Za-z]+/) ?? [""])[0];
      expect(res.status).toBe(answer.status);
      expect(res.text.replaceAll(asked, "<id>")).toBe(answer.text.replaceAll(unknown, "<id>"));
    }
  });
});

describe("lists show only the caller's tenant", () => {
  test("webhooks: a tenant key sees its own, a platform key the tenant it names (default when none)", async () => {
    const ids = async (key: string, query = "") =>
      (await t.request("GET", `/api/v1/links/webhooks?limit=100${query}`, undefined, { auth: { bearer: key } })).body.data.map(
        (w: { id: string; tenant_id: string }) => w.tenant_id,
      );
    expect(new Set(await ids(keys.own))).toEqual(new Set(["acme"]));
    expect(new Set(await ids(keys.other))).toEqual(new Set(["globex"]));
    expect(new Set(await ids(keys.platform, "&tenant_id=globex"))).toEqual(new Set(["globex"]));
    await t.request("POST", "/api/v1/links/webhooks", { url: "https://default.example.com/in", events: ["link.clicked"] });
    expect(new Set(await ids(keys.platform))).toEqual(new Set(["default"]));
    // A tenant key may name its own tenant, never another.
    expect(new Set(await ids(keys.own, "&tenant_id=acme"))).toEqual(new Set(["acme"]));
    const refused = await t.request("GET", "/api/v1/links/webhooks?tenant_id=globex", undefined, { auth: { bearer: keys.own } });
    const unknown = await t.request("GET", "/api/v1/links/webhooks?tenant_id=nobody", undefined, { auth: { bearer: keys.own } });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual(unknown.body);
    expect(refused.body.details).toEqual([{ field: "tenant_id", message: "Must name an existing tenant (create it with PUT /api/v1/tenants/{id})" }]);
  });

  test("a tenant key without can_publish may manage webhooks but not publish", async () => {
    const reader = (await createApiKey(t.deps.store.apiKeys, { name: "acme reader", tenantId: "acme" })).key;
    const as = { auth: { bearer: reader } };
    expect((await t.request("GET", "/api/v1/links/webhooks", undefined, as)).status).toBe(200);
    const res = await t.request("POST", "/api/v1/events", { type: "link.clicked", data: {} }, as);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: "Forbidden", message: "This API key may not publish events (create a key with can_publish)", code: 403 });
  });

  test("a tenant key's current identity names its tenant; a platform key's names none", async () => {
    const own = await t.request("GET", "/api/v1/api-keys/current", undefined, { auth: { bearer: keys.own } });
    expect(own.body.data).toMatchObject({ kind: "api_key", tenant_id: "acme", tenant_name: "Acme Retail", can_publish: true });
    const platform = await t.request("GET", "/api/v1/api-keys/current");
    expect(platform.body.data).toMatchObject({ tenant_id: null, tenant_name: null, can_publish: true });
  });
});
