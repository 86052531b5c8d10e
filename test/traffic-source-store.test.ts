// The TrafficSourceStore contract over a temp SQLite file, without HTTP: every operation checks
// the source's owner in its own transaction, one webhook per level, alerts paged newest first.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { NewAlert, SourceScope, TrafficSourceRecord, TrafficSourceStore } from "../src/db/aggregates/traffic-sources";
import { createTestApp, type TestApp } from "./helpers/app";
import { signIn } from "./helpers/sessions";

let app: TestApp;
let store: TrafficSourceStore;
let alice: string;
let bob: string;
let mine: SourceScope;

const source = (ownerId: string, name: string, createdAt: number): TrafficSourceRecord => ({
  id: crypto.randomUUID(), name, ownerId, createdAt, updatedAt: createdAt,
});
const hook = (level: "fatal" | "warning" | "info", value = "123456789") => ({ id: crypto.randomUUID(), now: 1_000, type: "discord" as const, level, value });
const alert = (level: "fatal" | "warning" | "info", createdAt: number): NewAlert => ({
  id: crypto.randomUUID(), level, type: `alert.${level}`, createdAt, traceParent: null, body: (s) => JSON.stringify({ source: s.name, level }),
});

beforeAll(async () => {
  app = createTestApp();
  store = app.deps.store.trafficSources;
  alice = (await signIn(app, "alice@example.com")).id;
  bob = (await signIn(app, "bob@example.com")).id;
  const created = await store.create(source(alice, "Checkout API", 2_000));
  await store.create(source(alice, "Older", 1_000));
  await store.create(source(bob, "Bob's", 1_500));
  mine = { sourceId: created.id, userId: alice };
});
afterAll(() => app.close());

describe("sources", () => {
  test("a user's sources, oldest first; another user's never", async () => {
    expect((await store.listOwned(alice)).map((s) => s.name)).toEqual(["Older", "Checkout API"]);
    expect((await store.listOwned(bob)).map((s) => s.name)).toEqual(["Bob's"]);
  });

  test("get: the source for its owner, not-owner for another user, no-source for an unknown id", async () => {
    expect(await store.get(mine)).toMatchObject({ id: mine.sourceId, name: "Checkout API", ownerId: alice, createdAt: 2_000 });
    expect(await store.get({ ...mine, userId: bob })).toBe("not-owner");
    expect(await store.get({ sourceId: crypto.randomUUID(), userId: alice })).toBe("no-source");
  });
});

describe("webhooks", () => {
  test("one per level: a second for a level is level-taken, and so is moving onto a taken level", async () => {
    const info = await store.addWebhook(mine, hook("info"));
    const fatal = await store.addWebhook(mine, hook("fatal", "https://discord.com/api/webhooks/1/t"));
    expect(fatal).toMatchObject({ type: "discord", level: "fatal", trafficSourceId: mine.sourceId, createdAt: 1_000, updatedAt: 1_000 });
    expect(await store.addWebhook(mine, hook("fatal"))).toBe("level-taken");
    if (typeof info === "string") throw new Error(info);
    expect(await store.updateWebhook(mine, info.id, { level: "fatal" }, 2_000)).toBe("level-taken");
    expect((await store.listWebhooks(mine) as { level: string }[]).map((h) => h.level)).toEqual(["fatal", "info"]);
  });

  test("update changes only the fields given; delete removes; an id under another source is no-webhook", async () => {
    const added = await store.addWebhook(mine, hook("warning"));
    if (typeof added === "string") throw new Error(added);
    const moved = await store.updateWebhook(mine, added.id, { value: "987654321" }, 3_000);
    expect(moved).toMatchObject({ id: added.id, level: "warning", value: "987654321", createdAt: 1_000, updatedAt: 3_000 });
    expect(await store.webhookValue(added.id)).toBe("987654321");
    const other = { sourceId: (await store.listOwned(alice))[0]!.id, userId: alice };
    expect(await store.updateWebhook(other, added.id, { value: "1" }, 4_000)).toBe("no-webhook");
    expect(await store.deleteWebhook(other, added.id)).toBe("no-webhook");
    expect(await store.deleteWebhook(mine, added.id)).toBe(true);
    expect(await store.deleteWebhook(mine, added.id)).toBe("no-webhook");
    expect(await store.webhookValue(added.id)).toBeNull();
  });

  test("another user's source: every operation is not-owner and changes nothing", async () => {
    const bobs = { ...mine, userId: bob };
    const [existing] = (await store.listWebhooks(mine)) as { id: string }[];
    expect(await store.addWebhook(bobs, hook("warning"))).toBe("not-owner");
    expect(await store.listWebhooks(bobs)).toBe("not-owner");
    expect(await store.updateWebhook(bobs, existing!.id, { value: "1" }, 5_000)).toBe("not-owner");
    expect(await store.deleteWebhook(bobs, existing!.id)).toBe("not-owner");
    expect(await store.raiseAlert(bobs, alert("fatal", 5_000))).toBe("not-owner");
    expect(await store.listAlerts(bobs, { limit: 10 })).toBe("not-owner");
    expect(await store.webhookValue(existing!.id)).not.toBe("1");
    expect(await store.listAlerts(mine, { limit: 100 })).toEqual([]);
  });
});

describe("alerts", () => {
  test("raised with a delivery when the level has a webhook, without one otherwise; paged newest first", async () => {
    const fatal = alert("fatal", 10_000);
    const warning = alert("warning", 11_000);
    const info = alert("info", 12_000);
    expect(await store.raiseAlert(mine, fatal)).toMatchObject({ deliveries: 1, source: { name: "Checkout API" } });
    expect(await store.raiseAlert(mine, warning)).toMatchObject({ deliveries: 0 });
    expect(await store.raiseAlert(mine, info)).toMatchObject({ deliveries: 1 });

    const page = (limit: number, before?: number) => store.listAlerts(mine, { limit, before }) as Promise<{ id: string; delivered: boolean }[]>;
    expect((await page(2)).map((a) => a.id)).toEqual([info.id, warning.id]);
    expect((await page(2, 11_000)).map((a) => [a.id, a.delivered])).toEqual([[fatal.id, true]]);

    const detail = await store.getAlert(mine, fatal.id);
    if (typeof detail === "string") throw new Error(detail);
    expect(JSON.parse(detail.body)).toEqual({ source: "Checkout API", level: "fatal" });
    expect(detail.delivery).toMatchObject({ status: "pending", attempts: 0, nextAttemptAt: 10_000, attemptLog: [] });
    expect(await store.getAlert(mine, warning.id)).toMatchObject({ id: warning.id, delivery: null });
    expect(await store.getAlert({ ...mine, userId: bob }, fatal.id)).toBe("not-owner");
    const otherSource = { sourceId: (await store.listOwned(alice))[0]!.id, userId: alice };
    expect(await store.getAlert(otherSource, fatal.id)).toBe("no-alert");
  });
});
