// No API key is remembered between requests: a key revoked or expired anywhere (this process,
// the CLI, another process on the file) is refused on the very next request.
import Database from "better-sqlite3";
import { afterAll, expect, test } from "bun:test";
import { bootstrapApiKey, createApiKey, verifyApiKey } from "../src/auth/api-keys";
import { ADMIN_KEY, createTestApp } from "./helpers/app";

const app = createTestApp();
const db = app.deps.db;
afterAll(() => app.close());

const list = (key: string) => app.request("GET", "/api/v1/links/webhooks", undefined, { auth: { bearer: key } });

test("a key revoked by another connection is refused on the next request", async () => {
  const { id, key } = await createApiKey(app.deps.store.apiKeys, { name: "ci" });
  expect((await list(key)).status).toBe(200);
  expect((await list(key)).status).toBe(200);
  const other = new Database(db.$client.name); // what the CLI does: its own connection
  try {
    other.prepare("update api_keys set revoked_at = ? where id = ?").run(Date.now(), id);
  } finally {
    other.close();
  }
  const res = await list(key);
  expect(res.status).toBe(401);
  expect(res.body).toEqual({ error: "Unauthorized", message: "Authentication required. Please provide a valid API token", code: 401 });
});

test("a key revoked through the API is refused on the next request, and revoking twice keeps the first time", async () => {
  const { id, key } = await createApiKey(app.deps.store.apiKeys, { name: "to revoke" });
  expect((await list(key)).status).toBe(200);
  const revoked = await app.request("DELETE", `/api/v1/api-keys/${id}`);
  expect(revoked.status).toBe(200);
  expect(revoked.body.data.revoked_at).toBeString();
  expect((await list(key)).status).toBe(401);
  const again = await app.request("DELETE", `/api/v1/api-keys/${id}`);
  expect(again.body.data.revoked_at).toBe(revoked.body.data.revoked_at);
});

test("an expired key is refused from its expiry on", async () => {
  const now = Date.now();
  const { key } = await createApiKey(app.deps.store.apiKeys, { name: "short", expiresAt: now + 60_000 });
  expect((await verifyApiKey(app.deps.store.apiKeys, key, now))?.keyId).toBeString();
  expect(await verifyApiKey(app.deps.store.apiKeys, key, now + 60_000)).toBeUndefined();
  const { key: gone } = await createApiKey(app.deps.store.apiKeys, { name: "gone", expiresAt: now - 1 });
  expect((await list(gone)).status).toBe(401);
});

test("last_used_at is written at most once a minute per key", async () => {
  const { id, key } = await createApiKey(app.deps.store.apiKeys, { name: "busy" });
  const lastUsed = () => db.$client.prepare("select last_used_at from api_keys where id = ?").pluck().get(id) as number | null;
  expect(lastUsed()).toBeNull();
  expect((await list(key)).status).toBe(200);
  await Bun.sleep(20); // the refresh rides the next group commit
  const first = lastUsed();
  expect(first).toBeNumber();
  for (let i = 0; i < 5; i++) expect((await list(key)).status).toBe(200);
  await Bun.sleep(20);
  expect(lastUsed()).toBe(first);
  // Older than a minute: refreshed by the next request.
  db.$client.prepare("update api_keys set last_used_at = ? where id = ?").run(first! - 61_000, id);
  expect((await list(key)).status).toBe(200);
  await Bun.sleep(20);
  expect(lastUsed()).toBeGreaterThanOrEqual(first!);
});

test("wrong keys are refused and the admin key keeps working", async () => {
  for (let i = 0; i < 5; i++) expect(await verifyApiKey(app.deps.store.apiKeys, `wrong-key-${i}-0123456789`)).toBeUndefined();
  expect((await verifyApiKey(app.deps.store.apiKeys, ADMIN_KEY))?.tenantId).toBeNull();
});

test("changing ADMIN_API_KEY revokes the key the old value registered, and a re-configured key works again", async () => {
  const fresh = createTestApp();
  try {
    const rotated = "a-new-admin-key-after-a-leak";
    const kept = (await createApiKey(fresh.deps.store.apiKeys, { name: "ci" })).key;
    await bootstrapApiKey(fresh.deps.store.apiKeys, rotated);
    const status = async (key: string) =>
      (await fresh.request("GET", "/api/v1/links/webhooks", undefined, { auth: { bearer: key } })).status;
    expect(await status(ADMIN_KEY)).toBe(401); // the leaked one
    expect(await status(rotated)).toBe(200);
    expect(await status(kept)).toBe(200); // keys made with `keys create` are not touched
    // Going back to the old value (after it was revoked) restores it instead of failing start-up.
    expect(bootstrapApiKey(fresh.deps.store.apiKeys, ADMIN_KEY)).resolves.toBeUndefined();
    expect(await status(ADMIN_KEY)).toBe(200);
    expect(await status(rotated)).toBe(401);
  } finally {
    fresh.close();
  }
});

test("the gate asks the store once per request, by the key's hash, and nothing else on the request's path", async () => {
  const { key } = await createApiKey(app.deps.store.apiKeys, { name: "counted" });
  const keys = app.deps.store.apiKeys;
  const calls: string[] = [];
  const spied = ["findUnrevoked", "get", "list", "create", "revoke"] as const;
  const originals = spied.map((name) => [name, keys[name]] as const);
  for (const [name, original] of originals) {
    (keys as any)[name] = (...args: unknown[]) => (calls.push(name), (original as any).apply(keys, args));
  }
  try {
    for (let i = 0; i < 5; i++) expect((await list(key)).status).toBe(200);
    expect((await list("hr_not-a-key-0123456789")).status).toBe(401);
  } finally {
    for (const [name, original] of originals) (keys as any)[name] = original;
  }
  expect(calls).toEqual(Array(6).fill("findUnrevoked"));
});
