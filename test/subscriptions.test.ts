// Publishing finds subscribers in the webhook_event_types table, which the database keeps in the
// statement that writes a webhook (triggers, and a cascade on delete). Every way the set of
// subscribers can change is seen by the next publish: this connection's creates, updates and
// deletes, the delivery loop disabling a webhook, another process's writes, rows written by raw
// SQL, and a group commit that was rolled back.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { closeDatabase, openDatabase } from "../src/db/client";
import { commitSoon } from "../src/db/group-commit";
import { publishEvent } from "../src/events/service";
import { SqliteStore } from "../src/db/sqlite/store";
import { createWebhook, deleteWebhook, updateWebhook } from "../src/links/service";
import { createTestApp, type TestApp } from "./helpers/app";

const policy = { allowPrivate: false };
let t: TestApp;
beforeEach(() => (t = createTestApp()));
afterEach(() => t.close());

const create = async (events: string[] = ["link.clicked"]) =>
  (await createWebhook(t.deps.store, "default", { url: "https://hooks.example.com/in", events: events as never }, policy)).id;
/** How many deliveries a publish of `type` enqueued, and for which webhooks. */
function publish(type = "link.clicked") {
  const { event } = publishEvent(t.deps.db, "default", { type: type as never, data: {} }, undefined);
  const rows = t.deps.db.$client.prepare("SELECT webhook_id FROM deliveries WHERE event_id = ? ORDER BY rowid").pluck().all(event.id);
  expect(rows).toHaveLength(event.deliveries);
  return rows as string[];
}

describe("subscribers seen by publish", () => {
  test("follow this connection's creates, event changes, disabling, enabling and deletes", async () => {
    expect(publish()).toEqual([]);
    const a = await create();
    expect(publish()).toEqual([a]);
    const b = await create(["link.clicked", "uptime.down"]);
    expect(publish()).toEqual([a, b]);
    expect(publish("uptime.down")).toEqual([b]);
    await updateWebhook(t.deps.store, a, { events: ["uptime.down"] as never }, policy);
    expect(publish()).toEqual([b]);
    expect(publish("uptime.down")).toEqual([a, b]);
    await updateWebhook(t.deps.store, b, { active: false }, policy);
    expect(publish("uptime.down")).toEqual([a]);
    await updateWebhook(t.deps.store, b, { active: true }, policy);
    expect(publish("uptime.down")).toEqual([a, b]);
    await deleteWebhook(t.deps.store, a);
    expect(publish("uptime.down")).toEqual([b]);
  });

  test("follow the delivery loop disabling a webhook whose endpoint answered 410 Gone", async () => {
    const id = await create();
    publish();
    const [claimed] = (await t.deps.store.queue.recordAndClaim([], { now: Date.now(), limit: 10, leaseMs: 60_000 })).deliveries;
    await t.deps.store.queue.recordAndClaim([{
      kind: "gone", reason: "The endpoint answered 410 Gone", deliveryId: claimed!.id, lease: claimed!.lease, webhookId: id,
      attemptedAt: Date.now(), durationMs: 1, statusCode: 410, responseBody: null, error: null,
    }], null);
    expect(publish()).toEqual([]);
  });

  test("follow another process's writes to the same database", async () => {
    const a = await create();
    expect(publish()).toEqual([a]);
    const other = openDatabase(t.deps.config.databasePath);
    const otherStore = new SqliteStore(other);
    const b = (await createWebhook(otherStore, "default", { url: "https://hooks.example.com/other", events: ["link.clicked"] as never }, policy)).id;
    expect(publish()).toEqual([a, b]);
    await deleteWebhook(otherStore, a);
    expect(publish()).toEqual([b]);
    closeDatabase(other);
  });

  test("forget a webhook whose group commit failed, after a publish in the same commit counted it", async () => {
    await create(); // a subscriber before the batch
    publish();
    const db = t.deps.db;
    const now = Date.now();
    const created = t.deps.store.webhooks.create({
      id: "whk_rolledback", tenantId: "default", url: "https://hooks.example.com/in", events: ["link.clicked"], metadataJson: "{}", secret: "whsec_x", createdAt: now,
    });
    const published = commitSoon(db, () => publishEvent(db, "default", { type: "link.clicked" as never, data: {} }, undefined));
    // A row whose foreign key is only checked at COMMIT: the whole batch is rolled back there.
    const breaksCommit = commitSoon(db, () => {
      db.$client.pragma("defer_foreign_keys = ON");
      db.$client
        .prepare(`INSERT INTO deliveries (id, event_id, transport, webhook_id, status, attempts, next_attempt_at, created_at, updated_at)
                  VALUES ('dlv_orphan', 'evt_missing', 'http', NULL, 'pending', 0, 0, 0, 0)`)
        .run();
    });
    const outcomes = await Promise.allSettled([created, published, breaksCommit]);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(db.$client.prepare("SELECT count(*) FROM webhooks").pluck().get()).toBe(1);
    // The webhook of the failed batch is gone: the next publish neither counts it nor fails on it.
    expect(publish()).toHaveLength(1);
  });

  test("forget what a rolled-back transaction wrote, whichever transaction it was", async () => {
    const db = t.deps.db;
    const kept = await create();
    expect(publish()).toEqual([kept]);
    const sqlite = db.$client;
    // A create and a publish that saw it, rolled back together.
    expect(() =>
      db.transaction(() => {
        sqlite.prepare(`INSERT INTO webhooks (id, url, events, active, metadata, secret, created_at, updated_at) VALUES ('whk_gone', 'https://x', '["link.clicked"]', 1, '{}', 's', 0, 0)`).run();
        expect(publishEvent(db, "default", { type: "link.clicked" as never, data: {} }, undefined).event.deliveries).toBe(2);
        throw new Error("changed my mind");
      }),
    ).toThrow("changed my mind");
    expect(publish()).toEqual([kept]);
    // A disable and a publish that left the webhook out, rolled back together.
    expect(() =>
      db.transaction(() => {
        sqlite.prepare(`UPDATE webhooks SET active = 0 WHERE id = ?`).run(kept);
        expect(publishEvent(db, "default", { type: "link.clicked" as never, data: {} }, undefined).event.deliveries).toBe(0);
        throw new Error("changed my mind");
      }),
    ).toThrow("changed my mind");
    expect(publish()).toEqual([kept]);
  });

  test("read subscriptions written outside the API without failing or doubling", async () => {
    const a = await create();
    const sqlite = t.deps.db.$client;
    const write = (id: string, events: string) =>
      sqlite.prepare(`INSERT INTO webhooks (id, url, events, active, metadata, secret, created_at, updated_at) VALUES (?, 'https://x', ?, 1, '{}', 's', 0, 0)`).run(id, events);
    write("whk_twice", '["link.clicked","link.clicked"]');
    write("whk_object", '{"link.clicked":true}');
    write("whk_string", '"link.clicked"');
    write("whk_broken", "[");
    expect(publish()).toEqual([a, "whk_twice"]);
  });

  test("an update of events written by raw SQL moves the subscriptions with it", async () => {
    const a = await create();
    t.deps.db.$client.prepare(`UPDATE webhooks SET events = '["uptime.down"]' WHERE id = ?`).run(a);
    expect(publish()).toEqual([]);
    expect(publish("uptime.down")).toEqual([a]);
  });

  test("a refused publish leaves the subscriptions as they were", async () => {
    const db = t.deps.db;
    const a = await create();
    const refused = await t.request("POST", "/api/v1/events", { type: "link.clicked", data: [] });
    expect(refused.status).toBe(400);
    expect(publish()).toEqual([a]);
  });
});

describe("the subscribers lookup", () => {
  test("reads one range of the (tenant_id, event_type) key, whatever the number of webhooks", () => {
    const db = t.deps.db.$client;
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN SELECT w.id FROM webhook_event_types s JOIN webhooks w ON w.id = s.webhook_id
                 WHERE s.tenant_id = ? AND s.event_type = ? AND w.active = 1 ORDER BY s.webhook_id`)
      .all("default", "link.clicked") as { detail: string }[];
    const details = plan.map((p) => p.detail).join("\n");
    expect(details).toContain("SEARCH s USING COVERING INDEX sqlite_autoindex_webhook_event_types_1 (tenant_id=? AND event_type=?)");
    expect(details).not.toContain("SCAN");
    expect(details).not.toContain("TEMP B-TREE");
  });
});
