// The access aggregates of the SQLite store (tenants, API keys, users, sessions, sign-in
// attempts) over a temp file: the contract a second store must keep too.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { NewApiKeyRecord } from "../src/db/aggregates/api-keys";
import type { ThrottleQuery } from "../src/db/aggregates/login-throttle";
import { closeDatabase, openDatabase } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { SqliteStore } from "../src/db/sqlite/store";
import { tempDir } from "./helpers/app";

const dir = tempDir("hookrelay-access-store-");
const path = join(dir, "store.db");
const db = openDatabase(path);
migrateDatabase(db);
const store = new SqliteStore(db);
// A second connection to the same file: what another process (or node) sees.
const otherDb = openDatabase(path);
const other = new SqliteStore(otherDb);

afterAll(() => {
  closeDatabase(db);
  closeDatabase(otherDb);
  rmSync(dir, { recursive: true, force: true });
});

let seq = 0;
function key(overrides: Partial<NewApiKeyRecord> = {}): NewApiKeyRecord {
  seq++;
  return {
    id: `key_test${String(seq).padStart(4, "0")}`,
    name: `key ${seq}`,
    keyHash: `${seq}`.padStart(64, "0"),
    kind: "api_key",
    tenantId: null,
    canPublish: true,
    expiresAt: null,
    createdAt: 1_000 + seq,
    ...overrides,
  };
}

async function allPages<T>(read: (cursor: string | undefined) => Promise<{ rows: T[]; nextCursor: string | null }>): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    pages.push(page.rows);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return pages;
}

describe("ApiKeyStore", () => {
  test("a key is found by its hash until it is revoked, and the revocation is seen by another connection at once", async () => {
    const k = key();
    expect(await store.apiKeys.create(k)).toMatchObject({ id: k.id, canPublish: true, revokedAt: null, kind: "api_key" });
    expect(await other.apiKeys.findUnrevoked(k.keyHash)).toMatchObject({ id: k.id, tenantId: null, canPublish: true });
    expect((await store.apiKeys.revoke(k.id, 5_000))?.revokedAt).toBe(5_000);
    expect(await other.apiKeys.findUnrevoked(k.keyHash)).toBeUndefined();
    // Revoking again keeps the first time.
    expect((await other.apiKeys.revoke(k.id, 9_000))?.revokedAt).toBe(5_000);
    expect(await store.apiKeys.revoke("key_nope", 1)).toBeUndefined();
  });

  test("a tenant key (and so a portal link) is only stored for an existing tenant", async () => {
    expect(await store.apiKeys.create(key({ tenantId: "no-such-tenant" }))).toBeUndefined();
    await store.tenants.put("keys-co", {}, 1);
    const portal = key({ tenantId: "keys-co", kind: "portal", canPublish: false, expiresAt: 99_000 });
    expect(await store.apiKeys.create(portal)).toMatchObject({ tenantId: "keys-co", kind: "portal", canPublish: false, expiresAt: 99_000 });
  });

  test("lists filter by tenant (null: platform keys only) and kind, newest first, in cursor pages", async () => {
    await store.tenants.put("list-co", {}, 1);
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await store.apiKeys.create(key({ tenantId: "list-co" })))!.id);
    const pages = await allPages((cursor) => store.apiKeys.list({ tenantId: "list-co" }, { limit: 2, cursor }));
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().map((k) => k.id)).toEqual(made.reverse());
    const platform = await store.apiKeys.list({ tenantId: null }, { limit: 100 });
    expect(platform.rows.length).toBeGreaterThan(0);
    expect(platform.rows.every((k) => k.tenantId === null)).toBe(true);
    const portals = await store.apiKeys.list({ kind: "portal" }, { limit: 100 });
    expect(portals.rows.map((k) => k.kind)).toEqual(["portal"]);
  });

  test("touch refreshes last_used_at through the group commit", async () => {
    const k = key();
    await store.apiKeys.create(k);
    await store.apiKeys.touch(k.id, 7_777);
    expect((await other.apiKeys.findUnrevoked(k.keyHash))?.lastUsedAt).toBe(7_777);
  });

  test("ADMIN_API_KEY rotation revokes the earlier admin key; the same value again is a no-op; createIfNoKeys only on an empty set", async () => {
    const first = key({ name: "admin (env)" });
    await store.apiKeys.registerAdminKey(first);
    await store.apiKeys.registerAdminKey({ ...first, id: "key_other_id" });
    expect((await store.apiKeys.list({}, { limit: 100 })).rows.filter((k) => k.name === "admin (env)")).toHaveLength(1);
    const second = key({ name: "admin (env)" });
    await store.apiKeys.registerAdminKey(second);
    expect(await store.apiKeys.findUnrevoked(first.keyHash)).toBeUndefined();
    expect(await store.apiKeys.findUnrevoked(second.keyHash)).toBeDefined();
    // Revoked by hand, then configured again: the operator's choice wins.
    await store.apiKeys.revoke(second.id, 1);
    await store.apiKeys.registerAdminKey({ ...second, id: "key_again" });
    expect((await store.apiKeys.findUnrevoked(second.keyHash))?.id).toBe(second.id);
    expect(await store.apiKeys.createIfNoKeys(key())).toBe(false);
  });
});

describe("TenantStore", () => {
  test("put creates, then changes only the fields given (a name may be set to null)", async () => {
    const created = await store.tenants.put("acme", { name: "Acme", metadata: { plan: "pro" } }, 10);
    expect(created).toEqual({ created: true, tenant: { id: "acme", name: "Acme", metadata: { plan: "pro" }, createdAt: 10, updatedAt: 10 } });
    const renamed = await store.tenants.put("acme", { name: "Acme Inc" }, 20);
    expect(renamed).toEqual({ created: false, tenant: { id: "acme", name: "Acme Inc", metadata: { plan: "pro" }, createdAt: 10, updatedAt: 20 } });
    expect((await store.tenants.put("acme", { metadata: {} }, 30)).tenant).toMatchObject({ name: "Acme Inc", metadata: {} });
    expect((await store.tenants.put("acme", { name: null }, 40)).tenant.name).toBeNull();
    expect(await other.tenants.exists("acme")).toBe(true);
    expect(await other.tenants.get("nobody")).toBeUndefined();
  });

  test("delete takes the tenant's keys with it and says so; a second delete finds nothing", async () => {
    await store.tenants.put("leaving", {}, 1);
    const k = key({ tenantId: "leaving" });
    await store.apiKeys.create(k);
    expect(await store.tenants.delete("leaving")).toEqual({ apiKeys: 1, webhooks: 0, events: 0, deliveries: 0 });
    expect(await other.apiKeys.findUnrevoked(k.keyHash)).toBeUndefined();
    expect(await store.tenants.delete("leaving")).toBeUndefined();
  });

  test("lists newest first in cursor pages", async () => {
    const pages = await allPages((cursor) => store.tenants.list({ limit: 2, cursor }));
    const ids = pages.flat().map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    // Made in this order by the tests above: keys-co, list-co, acme (deleted: leaving).
    expect(ids.filter((id) => ["keys-co", "list-co", "acme", "leaving"].includes(id))).toEqual(["acme", "list-co", "keys-co"]);
  });
});

describe("UserStore and SessionStore", () => {
  const user = (id: string, email: string) => ({ id, email, name: null, passwordHash: "hash", createdAt: 1, updatedAt: 1, disabledAt: null });
  const session = (id: string, userId: string, expiresAt = 10_000) => ({ id, userId, tokenHash: `token-${id}`, expiresAt, createdAt: 100 });

  test("an email is taken once", async () => {
    expect(await store.users.create(user("u1", "one@example.com"))).toMatchObject({ id: "u1", email: "one@example.com" });
    expect(await store.users.create(user("u2", "one@example.com"))).toBeUndefined();
    expect((await store.users.byEmail("one@example.com"))?.passwordHash).toBe("hash");
  });

  test("a session finds its user until it expires, is deleted, or the user is disabled (which ends every session)", async () => {
    await store.users.create(user("u3", "three@example.com"));
    await store.sessions.create(session("s1", "u3"));
    await store.sessions.create(session("s2", "u3"));
    expect((await other.sessions.findUser("token-s1", 500))?.user.id).toBe("u3");
    expect(await other.sessions.findUser("token-s1", 10_000)).toBeUndefined();
    await store.sessions.delete("s1");
    expect(await other.sessions.findUser("token-s1", 500)).toBeUndefined();
    const disabled = await store.users.update("u3", { disabled: true }, 600);
    expect(disabled?.disabledAt).toBe(600);
    expect(await other.sessions.findUser("token-s2", 700)).toBeUndefined();
    // Disabling again keeps the first time; enabling clears it; a name change keeps the state.
    expect((await store.users.update("u3", { disabled: true }, 800))?.disabledAt).toBe(600);
    expect((await store.users.update("u3", { name: "Three" }, 900))).toMatchObject({ name: "Three", disabledAt: 600 });
    expect((await store.users.update("u3", { disabled: false }, 900))?.disabledAt).toBeNull();
    expect(await store.users.update("nobody", { disabled: true }, 1)).toBeUndefined();
  });

  test("a new password ends the other sessions and keeps the caller's; endSessions ends all", async () => {
    await store.users.create(user("u4", "four@example.com"));
    for (const id of ["a", "b", "c"]) await store.sessions.create(session(`u4-${id}`, "u4"));
    expect((await store.users.setPasswordHash("u4", "new hash", 5, "u4-a"))?.sessionsEnded).toBe(2);
    expect((await store.users.get("u4"))?.passwordHash).toBe("new hash");
    expect(await other.sessions.findUser("token-u4-a", 500)).toBeDefined();
    expect(await store.users.endSessions("u4")).toBe(1);
    expect(await store.users.endSessions("nobody")).toBeUndefined();
    expect(await store.users.setPasswordHash("nobody", "x", 1)).toBeUndefined();
  });

  test("deleting a user deletes their sessions; users list newest first", async () => {
    await store.users.create(user("u5", "five@example.com"));
    await store.sessions.create(session("u5-a", "u5"));
    expect(await store.users.delete("u5")).toBe(true);
    expect(await store.users.delete("u5")).toBe(false);
    expect(await other.sessions.findUser("token-u5-a", 500)).toBeUndefined();
    const pages = await allPages((cursor) => store.users.list({ limit: 1, cursor }));
    expect(pages.flat().map((u) => u.id)).toEqual(["u4", "u3", "u1"]);
  });
});

describe("LoginThrottleStore", () => {
  const query: ThrottleQuery = { addressSince: 0, addressMax: 3, pairSince: 0, pairMax: 2, accountSince: 0, knownSince: 0 };
  const attemptKey = { email: "guess@example.com", address: "203.0.113.9" };

  test("pending attempts count as failures for every connection; the policy's wait refuses without recording", async () => {
    const seen: number[] = [];
    const first = await store.loginThrottle.begin(attemptKey, query, 1_000, (f) => (seen.push(f.accountFailures), 0));
    expect(first.attemptId).toBeString();
    const second = await other.loginThrottle.begin(attemptKey, query, 1_001, (f) => (seen.push(f.accountFailures), 0));
    expect(seen).toEqual([0, 1]);
    const refused = await other.loginThrottle.begin(attemptKey, query, 1_002, (f) => {
      expect(f).toMatchObject({ pairNth: 1_000, addressNth: undefined, accountFailures: 2, lastAccountFailure: 1_001, knownAddress: false });
      return 5_000;
    });
    expect(refused).toEqual({ waitMs: 5_000 });
    // Refused attempts are not recorded: the third from the address still finds only two.
    await store.loginThrottle.begin(attemptKey, query, 1_003, (f) => (expect(f.addressNth).toBeUndefined(), 0));
    await store.loginThrottle.failed(second.attemptId!);
    await store.loginThrottle.begin(attemptKey, query, 1_004, (f) => (expect(f.addressNth).toBe(1_000), 0));
  });

  test("a success stops counting and makes the address known for the user; prune forgets old rows", async () => {
    await store.users.create({ id: "u6", email: "six@example.com", name: null, passwordHash: "h", createdAt: 1, updatedAt: 1, disabledAt: null });
    const k = { email: "six@example.com", address: "198.51.100.1" };
    const begun = await store.loginThrottle.begin(k, query, 2_000, () => 0);
    await store.loginThrottle.succeeded(begun.attemptId!, "u6", k.address, 2_001);
    await store.loginThrottle.begin(k, query, 2_002, (f) => (expect(f).toMatchObject({ accountFailures: 0, knownAddress: true, addressNth: undefined }), 0));
    await store.loginThrottle.prune(2_010, 2_010);
    await store.loginThrottle.begin(k, query, 2_020, (f) => (expect(f).toMatchObject({ accountFailures: 0, knownAddress: false }), 0));
  });
});
