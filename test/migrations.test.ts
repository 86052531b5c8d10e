// Upgrades: a database made by an older release is brought up to date at start-up, keeping its
// rows. Each migration is applied from a copy of drizzle/ cut back to the release before it.
import { afterEach, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeDatabase, openDatabase, type Db } from "../src/db/client";
import { MIGRATIONS_DIR, migrateDatabase } from "../src/db/migrate";
import { SqliteStore } from "../src/db/sqlite/store";
import { createWebhook } from "../src/links/service";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** drizzle/ as it was when `tag` was the newest migration. */
function migrationsUpTo(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), "hookrelay-migrations-"));
  dirs.push(dir);
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  const journal = JSON.parse(readFileSync(join(dir, "meta/_journal.json"), "utf8"));
  const cut = journal.entries.findIndex((e: { tag: string }) => e.tag === tag);
  expect(cut).toBeGreaterThanOrEqual(0);
  journal.entries = journal.entries.slice(0, cut + 1);
  writeFileSync(join(dir, "meta/_journal.json"), JSON.stringify(journal));
  return dir;
}

function freshDatabase(): Db {
  const dir = mkdtempSync(join(tmpdir(), "hookrelay-upgrade-"));
  dirs.push(dir);
  return openDatabase(join(dir, "hookrelay.db"));
}

const indexNames = (db: Db) =>
  (db.$client.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'webhooks'`).all() as { name: string }[]).map((r) => r.name);

describe("0001: the unused webhooks created_at index is dropped", () => {
  test("a 0000 database keeps its webhooks, loses the index, and takes new ones", async () => {
    const db = freshDatabase();
    try {
      migrateDatabase(db, migrationsUpTo("0000_init"));
      expect(indexNames(db)).toContain("webhooks_created_idx");
      const policy = { allowPrivate: false };
      // Written as the 0000 schema stood (today's service writes columns it did not have yet).
      const now = Date.now();
      const old = { id: "whk_old0000000" };
      db.$client
        .prepare(`INSERT INTO webhooks (id, url, events, active, metadata, secret, created_at, updated_at) VALUES (?, ?, ?, 1, '{}', 'whsec_x', ?, ?)`)
        .run(old.id, "https://hooks.example.com/old", '["link.clicked"]', now, now);

      migrateDatabase(db); // what start-up does
      expect(indexNames(db)).not.toContain("webhooks_created_idx");
      const ids = (db.$client.prepare(`SELECT id FROM webhooks ORDER BY rowid`).all() as { id: string }[]).map((r) => r.id);
      expect(ids).toEqual([old.id]);
      const added = await createWebhook(new SqliteStore(db), "default", { url: "https://hooks.example.com/new", events: ["uptime.down"] }, policy);
      expect(added.id).not.toBe(old.id);

      migrateDatabase(db); // applied once: a second start changes nothing
      expect(db.$client.prepare(`SELECT count(*) AS n FROM webhooks`).get()).toEqual({ n: 2 });
    } finally {
      closeDatabase(db);
    }
  });
});

describe("0006: subscriptions by event type", () => {
  test("existing webhooks are backfilled (arrays of names only, no doubles), and publish finds them", () => {
    const db = freshDatabase();
    try {
      migrateDatabase(db, migrationsUpTo("0005_users_lifecycle"));
      const write = db.$client.prepare(
        `INSERT INTO webhooks (id, url, events, active, metadata, secret, created_at, updated_at, tenant_id) VALUES (?, 'https://hooks.example.com/x', ?, ?, '{}', 'whsec_x', 0, 0, ?)`,
      );
      write.run("whk_a", '["link.clicked","uptime.down","link.clicked"]', 1, "default");
      write.run("whk_b", '["link.clicked"]', 0, "default");
      write.run("whk_c", '["link.clicked"]', 1, "acme");
      write.run("whk_broken", "[", 1, "default");
      write.run("whk_object", '{"link.clicked":true}', 1, "default");

      migrateDatabase(db);
      const rows = db.$client.prepare(`SELECT tenant_id, event_type, webhook_id FROM webhook_event_types ORDER BY 1, 2, 3`).all();
      expect(rows).toEqual([
        { tenant_id: "acme", event_type: "link.clicked", webhook_id: "whk_c" },
        { tenant_id: "default", event_type: "link.clicked", webhook_id: "whk_a" },
        { tenant_id: "default", event_type: "link.clicked", webhook_id: "whk_b" },
        { tenant_id: "default", event_type: "uptime.down", webhook_id: "whk_a" },
      ]);
    } finally {
      closeDatabase(db);
    }
  });
});

describe("0008: deliveries.alert_webhook_id is named traffic_source_webhook_id", () => {
  test("an alert's delivery keeps its webhook under the new column, found by the renamed index, and still goes with it", () => {
    const db = freshDatabase();
    try {
      migrateDatabase(db, migrationsUpTo("0007_subscriptions_by_key"));
      const sqlite = db.$client;
      sqlite.exec(`
        INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES ('usr_1', 'a@example.com', 'x', 0, 0);
        INSERT INTO traffic_sources (id, name, owner_id, created_at, updated_at) VALUES ('src_1', 'Checkout', 'usr_1', 0, 0);
        INSERT INTO traffic_source_webhooks (id, traffic_source_id, type, level, value, created_at, updated_at)
          VALUES ('tsw_1', 'src_1', 'discord', 'fatal', '123456789', 0, 0);
        INSERT INTO events (id, public_id, type, body, created_at, source_id) VALUES ('evt_1', 'evt_1', 'alert.fatal', '{}', 0, 'src_1');
        INSERT INTO deliveries (id, event_id, transport, alert_webhook_id, status, attempts, next_attempt_at, created_at, updated_at)
          VALUES ('dlv_1', 'evt_1', 'discord', 'tsw_1', 'pending', 0, 0, 0, 0);
      `);

      migrateDatabase(db);
      expect(sqlite.prepare(`SELECT id, traffic_source_webhook_id AS hook FROM deliveries`).all()).toEqual([{ id: "dlv_1", hook: "tsw_1" }]);
      const indexes = (sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deliveries'`).all() as { name: string }[]).map((r) => r.name);
      expect(indexes).toContain("deliveries_traffic_source_webhook_idx");
      expect(indexes).not.toContain("deliveries_alert_webhook_idx");
      const plan = sqlite.prepare(`EXPLAIN QUERY PLAN SELECT id FROM deliveries WHERE traffic_source_webhook_id = 'tsw_1'`).all() as { detail: string }[];
      expect(plan.map((p) => p.detail).join(" ")).toContain("deliveries_traffic_source_webhook_idx");
      // The foreign key followed the rename: deleting the webhook still takes its deliveries.
      sqlite.prepare(`DELETE FROM traffic_source_webhooks WHERE id = 'tsw_1'`).run();
      expect(sqlite.prepare(`SELECT count(*) AS n FROM deliveries`).get()).toEqual({ n: 0 });
    } finally {
      closeDatabase(db);
    }
  });
});
