// Text a caller sends may hold a NUL (JSON's "\u0000" in a name, an email, a filter; %00 in a
// path segment). SQLite stores and compares it; PostgreSQL text cannot hold one, and a parameter
// with one fails its statement (SQLSTATE 22021), which would answer 500. On both stores it is no
// error: the same lookups find the same rows (PostgreSQL writes the NUL as U+FFFD, as it writes
// response bodies, and finds it again by the same text).
import { expect, test } from "bun:test";
import { describeStores, type StoreHarness } from "./helpers/store-backends";

const NOW = 1_790_000_000_000;
const NUL = "\u0000";
/** What the store keeps of a text with a NUL. */
const kept = (h: StoreHarness, text: string) => (h.sharedByNodes ? text.replaceAll(NUL, "\uFFFD") : text);

describeStores("text with a NUL", (h) => {
  test("users, sessions and sign-in attempts", async () => {
    const user = { id: `usr${NUL}1`, email: `a${NUL}b@example.com`, name: `Ann${NUL}`, passwordHash: "h", createdAt: NOW, updatedAt: NOW, disabledAt: null };
    expect(await h().store.users.create(user)).toMatchObject({ name: kept(h(), user.name), email: kept(h(), user.email) });
    expect((await h().store.users.byEmail(user.email))!.id).toBe(kept(h(), user.id));
    expect((await h().store.users.get(user.id))!.name).toBe(kept(h(), user.name));
    expect(await h().store.users.get(`nobody${NUL}`)).toBeUndefined();
    expect((await h().store.users.update(user.id, { name: `Bea${NUL}` }, NOW + 1))!.name).toBe(kept(h(), `Bea${NUL}`));
    expect(await h().store.sessions.findUser(`token${NUL}`, NOW)).toBeUndefined();
    const begun = await h().store.loginThrottle.begin({ email: user.email, address: "192.0.2.1" }, { addressSince: 0, addressMax: 5, pairSince: 0, pairMax: 5, accountSince: 0, knownSince: 0 }, NOW, () => 0);
    await h().store.loginThrottle.begin({ email: user.email, address: "192.0.2.1" }, { addressSince: 0, addressMax: 5, pairSince: 0, pairMax: 5, accountSince: 0, knownSince: 0 }, NOW + 1, (f) => (expect(f.accountFailures).toBe(1), 0));
    await h().store.loginThrottle.succeeded(begun.attemptId!, kept(h(), user.id), "192.0.2.1", NOW + 2);
    expect(await h().store.users.delete(user.id)).toBe(true);
  });

  test("the logs, webhooks, tenants and traffic sources: lookups and filters find nothing, and fail nothing", async () => {
    const bad = `x${NUL}y`;
    expect(await h().store.deliveryLog.get(bad, null)).toBeNull();
    expect(await h().store.deliveryLog.listForWebhook(bad, null, undefined, { limit: 5 })).toBeNull();
    expect(await h().store.deliveryLog.search("default", null, { eventType: bad, eventId: bad }, { limit: 5, window: 10 })).toEqual({ items: [], nextCursor: null, hasMore: false });
    expect(await h().store.deliveryLog.retry(bad, null, NOW)).toEqual({ kind: "missing" });
    expect(await h().store.deliveryLog.recoverFailed(bad, null, 0, NOW)).toEqual({ kind: "missing" });
    expect(await h().store.eventLog.list("default", { type: bad }, { limit: 5 })).toEqual({ items: [], nextCursor: null, hasMore: false });
    expect(await h().store.eventLog.get("default", bad, 5)).toBeNull();
    expect(await h().store.webhooks.get(bad, null)).toBeUndefined();
    expect(await h().store.tenants.get(bad)).toBeUndefined();
    expect(await h().store.trafficSources.get({ sourceId: bad, userId: bad })).toBe("no-source");
    await h().insert("users", { id: "usr_1", email: "a@example.com", passwordHash: "h", createdAt: NOW, updatedAt: NOW });
    const source = await h().store.trafficSources.create({ id: "src_1", name: `API${NUL}`, ownerId: "usr_1", createdAt: NOW, updatedAt: NOW });
    expect(source.name).toBe(kept(h(), `API${NUL}`));
  });
});
