// Publishing finds subscribers in the webhook_event_types table, which the database keeps in the
// statement that writes a webhook (triggers on insert, update and delete). Every way the set of
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
async function publish(type = "link.clicked") {
  const { event } = await publishEvent(t.deps.store, "default", { type: type as never, data: {} }, undefined);
  const rows = t.deps.db.$client.prepare("SELECT webhook_id FROM deliveries WHERE event_id = ? ORDER BY rowid").pluck().all(event.id);
  expect(rows).toHaveLength(event.deliveries);
  return rows as string[];
}

/** A write whose foreign key is only checked at COMMIT: the whole group commit it joins is rolled back there. */
function breakCommit() {
  const db = t.deps.db;
  return commitSoon(db, () => {
    db.$client.pragma("defer_foreign_keys = ON");
    db.$client
      .prepare(`INSERT INTO deliveries (id, event_id, transport, webhook_id, status, attempts, next_attempt_at, created_at, updated_at)
                VALUES ('dlv_orphan', 'evt_missing', 'http', NULL, 'pending', 0, 0, 0, 0)`)
      .run();
  });
}

describe("subscribers seen by publish", () => {
  test("follow this connection's creates, event changes, disabling, enabling and deletes", async () => {
    expect(await publish()).toEqual([]);
    const a = await create();
    expect(await publish()).toEqual([a]);
    const b = await create(["link.clicked", "uptime.down"]);
    expect(await publish()).toEqual([a, b]);
    expect(await publish("uptime.down")).toEqual([b]);
    await updateWebhook(t.deps.store, a, { events: ["uptime.down"] as never }, policy);
    expect(await publish()).toEqual([b]);
    expect(await publish("uptime.down")).toEqual([a, b]);
    await updateWebhook(t.deps.store, b, { active: false }, policy);
    expect(await publish("uptime.down")).toEqual([a]);
    await updateWebhook(t.deps.store, b, { active: true }, policy);
    expect(await publish("uptime.down")).toEqual([a, b]);
    await deleteWebhook(t.deps.store, a);
    expect(await publish("uptime.down")).toEqual([b]);
  });

  test("are exactly the webhooks' own types: nothing is left behind by tenant moves, duplicates, odd events or deletes", async () => {
    const db = t.deps.db.$client;
    const rows = () => db.prepare(`SELECT tenant_id || ' ' || event_type || ' ' || webhook_id AS r FROM webhook_event_types ORDER BY 1`).pluck().all();
    const a = await create(["link.clicked", "uptime.down"]);
    db.prepare(`UPDATE webhooks SET events = '["link.clicked", "uptime.down", "link.clicked"]' WHERE id = ?`).run(a);
    expect(rows()).toEqual([`default link.clicked ${a}`, `default uptime.down ${a}`]);
    db.prepare(`INSERT INTO tenants (id, name, created_at, updated_at) VALUES ('acme', 'Acme', 0, 0)`).run();
    db.prepare(`UPDATE webhooks SET tenant_id = 'acme' WHERE id = ?`).run(a);
    expect(rows()).toEqual([`acme link.clicked ${a}`, `acme uptime.down ${a}`]);
    // Rows written by raw SQL with events that are no JSON array subscribe to nothing, and leave nothing.
    db.prepare(`UPDATE webhooks SET events = '{"not":"a list"}' WHERE id = ?`).run(a);
    expect(rows()).toEqual([]);
    db.prepare(`UPDATE webhooks SET events = '["uptime.down", 7]' WHERE id = ?`).run(a);
    expect(rows()).toEqual([`acme uptime.down ${a}`]);
    const b = await create();
    await deleteWebhook(t.deps.store, a);
    expect(rows()).toEqual([`default link.clicked ${b}`]);
    db.prepare(`DELETE FROM webhooks`).run();
    expect(rows()).toEqual([]);
  });

  test("follow the delivery loop disabling a webhook whose endpoint answered 410 Gone", async () => {
    const id = await create();
    await publish();
    const [claimed] = (await t.deps.store.queue.recordAndClaim([], { now: Date.now(), limit: 10, leaseMs: 60_000 })).deliveries;
    await t.deps.store.queue.recordAndClaim([{
      kind: "gone", reason: "The endpoint answered 410 Gone", deliveryId: claimed!.id, lease: claimed!.lease, webhookId: id,
      attemptedAt: Date.now(), durationMs: 1, statusCode: 410, responseBody: null, error: null,
    }], null);
    expect(await publish()).toEqual([]);
  });

  test("follow another process's writes to the same database", async () => {
    const a = await create();
    expect(await publish()).toEqual([a]);
    const other = openDatabase(t.deps.config.databasePath);
    const otherStore = new SqliteStore(other);
    const b = (await createWebhook(otherStore, "default", { url: "https://hooks.example.com/other", events: ["link.clicked"] as never }, policy)).id;
    expect(await publish()).toEqual([a, b]);
    await deleteWebhook(otherStore, a);
    expect(await publish()).toEqual([b]);
    closeDatabase(other);
  });

  test("forget a webhook whose group commit failed, after a publish in the same commit counted it", async () => {
    await create(); // a subscriber before the batch
    await publish();
    const db = t.deps.db;
    const created = t.deps.store.webhooks.create({
      id: "whk_rolledback", tenantId: "default", url: "https://hooks.example.com/in", events: ["link.clicked"], metadataJson: "{}", secret: "whsec_x", createdAt: Date.now(),
    });
    const published = publishEvent(t.deps.store, "default", { type: "link.clicked" as never, data: {} }, undefined);
    const breaksCommit = breakCommit();
    const outcomes = await Promise.allSettled([created, published, breaksCommit]);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(db.$client.prepare("SELECT count(*) FROM webhooks").pluck().get()).toBe(1);
    // The webhook of the failed batch is gone: the next publish neither counts it nor fails on it.
    expect(await publish()).toHaveLength(1);
  });

  test("forget what a rolled-back commit wrote, whichever write it was", async () => {
    const db = t.deps.db;
    const kept = await create();
    expect(await publish()).toEqual([kept]);
    // A create and a publish after it, rolled back together.
    const createdThenRolledBack = [t.deps.store.webhooks.create({
      id: "whk_rolledback", tenantId: "default", url: "https://hooks.example.com/in", events: ["link.clicked"], metadataJson: "{}", secret: "whsec_x", createdAt: Date.now(),
    }), publishEvent(t.deps.store, "default", { type: "link.clicked" as never, data: {} }, undefined), breakCommit()];
    expect((await Promise.allSettled(createdThenRolledBack)).map((o) => o.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(await publish()).toEqual([kept]);
    // A disable and a publish after it, rolled back together.
    const disabledThenRolledBack = [commitSoon(db, () => db.$client.prepare("UPDATE webhooks SET active = 0 WHERE id = ?").run(kept)), publishEvent(t.deps.store, "default", { type: "link.clicked" as never, data: {} }, undefined), breakCommit()];
    expect((await Promise.allSettled(disabledThenRolledBack)).map((o) => o.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(await publish()).toEqual([kept]);
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
    expect(await publish()).toEqual([a, "whk_twice"]);
  });

  test("an update of events written by raw SQL moves the subscriptions with it", async () => {
    const a = await create();
    t.deps.db.$client.prepare(`UPDATE webhooks SET events = '["uptime.down"]' WHERE id = ?`).run(a);
    expect(await publish()).toEqual([]);
    expect(await publish("uptime.down")).toEqual([a]);
  });

  test("a refused publish leaves the subscriptions as they were", async () => {
    const a = await create();
    const refused = await t.request("POST", "/api/v1/events", { type: "link.clicked", data: [] });
    expect(refused.status).toBe(400);
    expect(await publish()).toEqual([a]);
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
    expect(details).toContain("SEARCH s USING PRIMARY KEY (tenant_id=? AND event_type=?)");
    expect(details).not.toContain("SCAN");
    expect(details).not.toContain("TEMP B-TREE");
  });
});
