// UserStore, SessionStore and LoginThrottleStore (src/db/aggregates/users.ts, login-throttle.ts)
// as contracts: the same cases against both stores of test/helpers/store-backends.ts. What
// test/access-store.test.ts pins on SQLite holds on PostgreSQL too, and the sign-in counts hold
// across nodes.
import { expect, test } from "bun:test";
import type { ThrottleFacts, ThrottleQuery } from "../src/db/aggregates/login-throttle";
import type { UserCredentials } from "../src/db/aggregates/users";
import { describeStores, type StoreHarness } from "./helpers/store-backends";

const NOW = 1_760_000_000_000;

let seq = 0;
function newUser(values: Partial<UserCredentials> = {}): UserCredentials {
  const n = ++seq;
  return { id: `usr_${String(n).padStart(4, "0")}`, email: `user${n}@example.com`, name: null, passwordHash: `hash ${n}`, createdAt: NOW + n, updatedAt: NOW + n, disabledAt: null, ...values };
}
const session = (id: string, userId: string, expiresAt = NOW + 10_000) => ({ id, userId, tokenHash: `token-${id}`, expiresAt, createdAt: NOW + 100 });
const withoutHash = ({ passwordHash: _, ...user }: UserCredentials) => user;

async function allPages<T>(read: (cursor: string | undefined) => Promise<{ rows: T[]; nextCursor: string | null }>): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    pages.push(page.rows);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && pages.length < 100);
  return pages;
}

/** This store and, where nodes share the database, two more nodes on it. */
const nodesOf = async (h: StoreHarness) => (h.sharedByNodes ? [h.store, await h.otherNode(), await h.otherNode()] : [h.store]);

describeStores("UserStore", (h) => {
  test("create answers the record without its hash; an email (or id) is taken once", async () => {
    const user = newUser({ name: "One" });
    expect(await h().store.users.create(user)).toEqual(withoutHash(user));
    expect(await h().store.users.create(newUser({ email: user.email }))).toBeUndefined();
    expect(await h().store.users.create(newUser({ id: user.id }))).toBeUndefined();
    expect(await h().store.users.get(user.id)).toEqual(user);
    expect(await h().store.users.byEmail(user.email)).toEqual(user);
    expect(await h().store.users.get("usr_none")).toBeUndefined();
    expect(await h().store.users.byEmail("none@example.com")).toBeUndefined();
    expect(await h().rows("users")).toHaveLength(1);
  });

  test("nodes creating the same email at once: one user", async () => {
    const nodes = await nodesOf(h());
    const results = await Promise.all(nodes.map((node) => node.users.create(newUser({ email: "race@example.com" }))));
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
  });

  test("update changes the fields given; disabling keeps the first time and ends every session; enabling clears it", async () => {
    const user = newUser();
    await h().store.users.create(user);
    for (const id of ["a", "b"]) await h().store.sessions.create(session(`${user.id}-${id}`, user.id));
    expect(await h().store.users.update(user.id, { name: "Renamed" }, NOW + 500)).toEqual({ ...withoutHash(user), name: "Renamed", updatedAt: NOW + 500 });
    expect(await h().rows("sessions")).toHaveLength(2);
    expect(await h().store.users.update(user.id, { disabled: true }, NOW + 600)).toMatchObject({ disabledAt: NOW + 600, updatedAt: NOW + 600, name: "Renamed" });
    expect(await h().rows("sessions")).toEqual([]);
    expect((await h().store.users.update(user.id, { disabled: true }, NOW + 700))!.disabledAt).toBe(NOW + 600);
    expect(await h().store.users.update(user.id, { name: null }, NOW + 800)).toMatchObject({ name: null, disabledAt: NOW + 600 });
    expect(await h().store.users.update(user.id, { disabled: false }, NOW + 900)).toMatchObject({ disabledAt: null, updatedAt: NOW + 900 });
    expect(await h().store.users.update("usr_none", { disabled: true }, NOW)).toBeUndefined();
    expect((await h().store.users.get(user.id))!.passwordHash).toBe(user.passwordHash);
  });

  test("a new password ends the other sessions and keeps the caller's; endSessions ends all", async () => {
    const user = newUser();
    const other = newUser();
    await h().store.users.create(user);
    await h().store.users.create(other);
    for (const id of ["a", "b", "c"]) await h().store.sessions.create(session(`${user.id}-${id}`, user.id));
    await h().store.sessions.create(session(`${other.id}-a`, other.id));
    const reset = await h().store.users.setPasswordHash(user.id, "new hash", NOW + 5, `${user.id}-a`);
    expect(reset).toEqual({ user: { ...withoutHash(user), updatedAt: NOW + 5 }, sessionsEnded: 2 });
    expect((await h().store.users.get(user.id))!.passwordHash).toBe("new hash");
    expect((await h().rows("sessions")).map((s) => s.id).sort()).toEqual([`${user.id}-a`, `${other.id}-a`]);
    expect((await h().store.users.setPasswordHash(user.id, "newer hash", NOW + 6))!.sessionsEnded).toBe(1);
    await h().store.sessions.create(session(`${user.id}-d`, user.id));
    expect(await h().store.users.endSessions(user.id)).toBe(1);
    expect(await h().store.users.endSessions(user.id)).toBe(0);
    expect(await h().store.users.endSessions("usr_none")).toBeUndefined();
    expect(await h().store.users.setPasswordHash("usr_none", "x", NOW)).toBeUndefined();
    expect((await h().rows("sessions")).map((s) => s.id)).toEqual([`${other.id}-a`]);
  });

  test("delete takes the user's sessions, traffic sources (with their webhooks) and known addresses; others stay", async () => {
    const [gone, kept] = [newUser(), newUser()];
    for (const user of [gone, kept]) {
      await h().store.users.create(user);
      await h().store.sessions.create(session(`${user.id}-s`, user.id));
      await h().insert("trafficSources", { id: `src_${user.id}`, name: "API", ownerId: user.id, createdAt: NOW, updatedAt: NOW });
      await h().insert("trafficSourceWebhooks", { id: `tsw_${user.id}`, trafficSourceId: `src_${user.id}`, type: "discord", level: "fatal", value: "123", createdAt: NOW, updatedAt: NOW });
      await h().insert("loginKnownAddresses", { userId: user.id, address: "192.0.2.1", lastSuccessAt: NOW });
    }
    expect(await h().store.users.delete(gone.id)).toBe(true);
    expect(await h().store.users.delete(gone.id)).toBe(false);
    expect(await h().store.users.get(gone.id)).toBeUndefined();
    for (const table of ["sessions", "trafficSources", "loginKnownAddresses"] as const) {
      const owners = (await h().rows(table)).map((r) => r.userId ?? r.ownerId);
      expect({ table, owners }).toEqual({ table, owners: [kept.id] });
    }
    expect((await h().rows("trafficSourceWebhooks")).map((r) => r.id)).toEqual([`tsw_${kept.id}`]);
  });

  test("list: newest first, in pages whose cursors are the store's own", async () => {
    const made = [newUser(), newUser(), newUser(), newUser(), newUser()];
    for (const user of made) await h().store.users.create(user);
    const newestFirst = made.map((u) => u.id).reverse();
    for (const limit of [1, 2, 5, 100]) {
      const pages = await allPages((cursor) => h().store.users.list({ limit, cursor }));
      expect(pages.flat().map((u) => u.id)).toEqual(newestFirst);
      expect(pages.every((p) => p.length <= limit)).toBe(true);
    }
    const first = await h().store.users.list({ limit: 2 });
    expect(first.rows[0]).toEqual(withoutHash(made[4]!));
    expect(h().store.cursors.isOwn(first.nextCursor!)).toBe(true);
    expect((await h().store.users.list({ limit: 5 })).nextCursor).toBeNull();
  });
});

describeStores("SessionStore", (h) => {
  test("a session finds its user until it expires, is deleted, or the user is disabled", async () => {
    const user = newUser();
    await h().store.users.create(user);
    await h().store.sessions.create(session("s1", user.id));
    await h().store.sessions.create(session("s2", user.id));
    expect(await h().store.sessions.findUser("token-s1", NOW + 500)).toEqual({ sessionId: "s1", user: withoutHash(user) });
    expect(await h().store.sessions.findUser("token-s1", NOW + 10_000)).toBeUndefined();
    expect(await h().store.sessions.findUser("token-none", NOW)).toBeUndefined();
    await h().store.sessions.delete("s1");
    await h().store.sessions.delete("s1");
    expect(await h().store.sessions.findUser("token-s1", NOW + 500)).toBeUndefined();
    expect((await h().store.sessions.findUser("token-s2", NOW + 500))!.sessionId).toBe("s2");
    // Disabled by hand, its sessions left: still refused.
    await h().update("users", user.id, { disabledAt: NOW + 1 });
    expect(await h().store.sessions.findUser("token-s2", NOW + 500)).toBeUndefined();
  });

  test("a session ended through one node is refused by every node on its next lookup", async () => {
    const user = newUser();
    await h().store.users.create(user);
    await h().store.sessions.create(session("s1", user.id));
    const other = h().sharedByNodes ? await h().otherNode() : h().store;
    expect((await other.sessions.findUser("token-s1", NOW))!.user.id).toBe(user.id);
    await h().store.users.endSessions(user.id);
    expect(await other.sessions.findUser("token-s1", NOW)).toBeUndefined();
  });

  test("create drops the sessions that have expired by its time", async () => {
    const user = newUser();
    await h().store.users.create(user);
    await h().store.sessions.create(session("old", user.id, NOW + 100));
    await h().store.sessions.create(session("live", user.id, NOW + 10_000));
    await h().store.sessions.create({ ...session("new", user.id), createdAt: NOW + 100 });
    expect((await h().rows("sessions")).map((s) => s.id).sort()).toEqual(["live", "new"]);
    expect((await h().row("sessions", "new"))!).toEqual({ id: "new", userId: user.id, tokenHash: "token-new", expiresAt: NOW + 10_000, createdAt: NOW + 100 });
  });
});

describeStores("LoginThrottleStore", (h) => {
  const query: ThrottleQuery = { addressSince: 0, addressMax: 3, pairSince: 0, pairMax: 2, accountSince: 0, knownSince: 0 };
  const attemptKey = { email: "guess@example.com", address: "203.0.113.9" };

  test("pending attempts count as failures; the policy's wait refuses without recording", async () => {
    const seen: number[] = [];
    const first = await h().store.loginThrottle.begin(attemptKey, query, 1_000, (f) => (seen.push(f.accountFailures), 0));
    expect(first.attemptId).toBeString();
    const second = await h().store.loginThrottle.begin(attemptKey, query, 1_001, (f) => (seen.push(f.accountFailures), 0));
    expect(seen).toEqual([0, 1]);
    let facts: ThrottleFacts | undefined;
    const refused = await h().store.loginThrottle.begin(attemptKey, query, 1_002, (f) => ((facts = f), 5_000));
    expect(facts).toEqual({ addressNth: undefined, pairNth: 1_000, accountFailures: 2, lastAccountFailure: 1_001, knownAddress: false });
    expect(refused).toEqual({ waitMs: 5_000 });
    // Refused attempts are not recorded: the third from the address still finds only two.
    await h().store.loginThrottle.begin(attemptKey, query, 1_003, (f) => (expect(f.addressNth).toBeUndefined(), 0));
    await h().store.loginThrottle.failed(second.attemptId!);
    await h().store.loginThrottle.begin(attemptKey, query, 1_004, (f) => (expect(f.addressNth).toBe(1_000), 0));
    expect((await h().rows("loginAttempts")).sort((x, y) => Number(x.id) - Number(y.id)).map((r) => r.outcome)).toEqual(["pending", "failed", "pending", "pending"]);
  });

  test("the windows: only attempts after each `since` count; other emails count for the address only", async () => {
    await h().store.loginThrottle.begin(attemptKey, query, 1_000, () => 0);
    await h().store.loginThrottle.begin({ ...attemptKey, email: "other@example.com" }, query, 1_100, () => 0);
    await h().store.loginThrottle.begin({ ...attemptKey, address: "198.51.100.7" }, query, 1_200, () => 0);
    let facts: ThrottleFacts | undefined;
    await h().store.loginThrottle.begin(attemptKey, { ...query, addressMax: 2, pairMax: 1 }, 1_300, (f) => ((facts = f), 1));
    expect(facts).toEqual({ addressNth: 1_000, pairNth: 1_000, accountFailures: 2, lastAccountFailure: 1_200, knownAddress: false });
    const later = { addressSince: 1_000, addressMax: 1, pairSince: 1_000, pairMax: 1, accountSince: 1_100, knownSince: 0 };
    await h().store.loginThrottle.begin(attemptKey, later, 1_300, (f) => ((facts = f), 1));
    expect(facts).toEqual({ addressNth: 1_100, pairNth: undefined, accountFailures: 1, lastAccountFailure: 1_200, knownAddress: false });
  });

  test("a success stops counting and makes the address known for the user; prune forgets old rows", async () => {
    const user = newUser({ email: "six@example.com" });
    await h().store.users.create(user);
    const k = { email: user.email, address: "198.51.100.1" };
    const begun = await h().store.loginThrottle.begin(k, query, 2_000, () => 0);
    await h().store.loginThrottle.succeeded(begun.attemptId!, user.id, k.address, 2_001);
    await h().store.loginThrottle.begin(k, query, 2_002, (f) => (expect(f).toMatchObject({ accountFailures: 0, knownAddress: true, addressNth: undefined }), 0));
    // Known since 2_001: a window starting there forgets it.
    await h().store.loginThrottle.begin(k, { ...query, knownSince: 2_001 }, 2_003, (f) => (expect(f.knownAddress).toBe(false), 0));
    const again = await h().store.loginThrottle.begin(k, query, 2_004, () => 0);
    await h().store.loginThrottle.succeeded(again.attemptId!, user.id, k.address, 2_005);
    expect(await h().rows("loginKnownAddresses")).toEqual([{ userId: user.id, address: k.address, lastSuccessAt: 2_005 }]);
    await h().store.loginThrottle.prune(2_002, 2_004);
    expect((await h().rows("loginAttempts")).map((r) => r.at).sort()).toEqual([2_003, 2_004]);
    expect(await h().rows("loginKnownAddresses")).toHaveLength(1);
    await h().store.loginThrottle.prune(2_010, 2_010);
    await h().store.loginThrottle.begin(k, query, 2_020, (f) => (expect(f).toEqual({ addressNth: undefined, pairNth: undefined, accountFailures: 0, lastAccountFailure: null, knownAddress: false }), 0));
  });

  test("attempts begun at once, on every node, see each other: no more than the limit get through", async () => {
    const nodes = await nodesOf(h());
    const guesses = Array.from({ length: 9 }, (_, i) => nodes[i % nodes.length]!);
    // The same address, three accounts: the address limit (3) is what binds.
    const results = await Promise.all(
      guesses.map((node, i) => node.loginThrottle.begin({ email: `victim${i % 3}@example.com`, address: "203.0.113.50" }, query, 3_000 + i, (f) => (f.addressNth === undefined ? 0 : 60_000))),
    );
    expect(results.filter((r) => r.attemptId !== undefined)).toHaveLength(3);
    expect(await h().rows("loginAttempts")).toHaveLength(3);
    // And one account from many addresses: the pair limit does not bind, every guess counts for the account.
    const spread = await Promise.all(
      guesses.map((node, i) => node.loginThrottle.begin({ email: "victim@example.com", address: `198.51.100.${i}` }, query, 4_000 + i, (f) => (f.accountFailures >= 4 ? 60_000 : 0))),
    );
    expect(spread.filter((r) => r.attemptId !== undefined)).toHaveLength(4);
  });
});
