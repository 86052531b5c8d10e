// Verified API keys are cached per connection; a key revoked through this connection stops
// working on the very next request, one revoked by another process within a second.
import Database from "better-sqlite3";
import { afterAll, expect, test } from "bun:test";
import { bootstrapApiKey, createApiKey, forgetVerifiedApiKeys, verifyApiKey } from "../src/auth/api-keys";
import { ADMIN_KEY, createTestApp } from "./helpers/app";

const app = createTestApp();
const db = app.deps.db;
afterAll(() => app.close());

const revokeFrom = (sqlite: Database.Database, id: string) =>
  sqlite.prepare("update api_keys set revoked_at = ? where id = ?").run(Date.now(), id);

test("a key revoked by another process is refused within a second", async () => {
  const { id, key } = createApiKey(db, "ci");
  const list = () => app.request("GET", "/api/v1/links/webhooks", undefined, { auth: { bearer: key } });
  expect((await list()).status).toBe(200);
  expect((await list()).status).toBe(200); // now served from the cache
  const other = new Database(db.$client.name); // what the CLI would do: its own connection
  try {
    revokeFrom(other, id);
  } finally {
    other.close();
  }
  await Bun.sleep(1100); // the cache re-reads data_version at most once a second
  const res = await list();
  expect(res.status).toBe(401);
  expect(res.body.message).toBe("Authentication required. Please provide a valid API token");
});

test("a write through this connection is picked up once the cache is told", () => {
  const { id, key } = createApiKey(db, "local");
  expect(verifyApiKey(db, key)).toBe(id);
  revokeFrom(db.$client, id);
  forgetVerifiedApiKeys(db);
  expect(verifyApiKey(db, key)).toBeUndefined();
});

test("wrong keys are never cached and the admin key keeps working", () => {
  for (let i = 0; i < 5; i++) expect(verifyApiKey(db, `wrong-key-${i}-0123456789`)).toBeUndefined();
  expect(verifyApiKey(db, ADMIN_KEY)).toBeString();
});

test("changing ADMIN_API_KEY revokes the key the old value registered, and a re-configured key works again", async () => {
  const fresh = createTestApp();
  try {
    const rotated = "a-new-admin-key-after-a-leak";
    const kept = createApiKey(fresh.deps.db, "ci").key;
    bootstrapApiKey(fresh.deps.db, rotated);
    const status = async (key: string) =>
      (await fresh.request("GET", "/api/v1/links/webhooks", undefined, { auth: { bearer: key } })).status;
    expect(await status(ADMIN_KEY)).toBe(401); // the leaked one
    expect(await status(rotated)).toBe(200);
    expect(await status(kept)).toBe(200); // keys made with `keys create` are not touched
    // Going back to the old value (after it was revoked) restores it instead of failing start-up.
    expect(() => bootstrapApiKey(fresh.deps.db, ADMIN_KEY)).not.toThrow();
    expect(await status(ADMIN_KEY)).toBe(200);
    expect(await status(rotated)).toBe(401);
  } finally {
    fresh.close();
  }
});
