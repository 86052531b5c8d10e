// Drizzle's queries reuse compiled statements (src/db/client.ts): same SQL text, same
// statement; a statement Drizzle switched to array rows answers with objects when reused;
// the cache is bounded; and queries through Drizzle still return what they should.
import { afterAll, describe, expect, test } from "bun:test";
import Database from "better-sqlite3";
import { sql } from "drizzle-orm";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { closeDatabase, openDatabase, reusingStatements } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { webhooks } from "../src/db/schema";
import { SqliteStore } from "../src/db/sqlite/store";
import { listWebhooks } from "../src/links/service";
import { tempDir } from "./helpers/app";

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("statement reuse", () => {
  test("the same SQL text gets the same compiled statement, in object mode again", () => {
    const sqlite = new Database(":memory:");
    sqlite.exec("CREATE TABLE t (a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x')");
    const client = reusingStatements(sqlite);
    const first = client.prepare("SELECT a, b FROM t");
    expect(first.raw(true).all()).toEqual([[1, "x"]]);
    const again = client.prepare("SELECT a, b FROM t");
    expect(again).toBe(first);
    expect(again.all()).toEqual([{ a: 1, b: "x" }]);
    // Writers have no row mode to reset.
    expect(client.prepare("INSERT INTO t VALUES (2, 'y')").run().changes).toBe(1);
    expect(client.prepare("INSERT INTO t VALUES (2, 'y')").run().changes).toBe(1);
    sqlite.close();
  });

  test("keeps at most 256 statements, dropping the least recently used", () => {
    const sqlite = new Database(":memory:");
    const client = reusingStatements(sqlite);
    const oldest = client.prepare("SELECT 0");
    const kept = client.prepare("SELECT 1");
    for (let i = 2; i <= 256; i++) client.prepare(`SELECT ${i}`);
    expect(client.prepare("SELECT 1")).toBe(kept); // used again: now the most recent
    client.prepare("SELECT 257"); // one over the bound: "SELECT 0" goes
    expect(client.prepare("SELECT 1")).toBe(kept);
    expect(client.prepare("SELECT 0")).not.toBe(oldest);
    sqlite.close();
  });

  test("Drizzle queries answer correctly when their statements are reused", async () => {
    const db = openDatabase(join(dir, "reuse.db"));
    migrateDatabase(db);
    const store = new SqliteStore(db);
    const now = Date.now();
    const insert = (id: string) =>
      db.insert(webhooks).values({ id, url: `https://example.com/${id}`, events: "[\"link.clicked\"]", metadata: "{}", secret: "whsec_x", createdAt: now, updatedAt: now }).run();
    insert("whk_a");
    insert("whk_b");
    const first = await listWebhooks(store, "default", { limit: "1" });
    expect(first.data.map((w) => w.id)).toEqual(["whk_b"]);
    const second = await listWebhooks(store, "default", { limit: "1", cursor: first.pagination.next_cursor! });
    expect(second.data.map((w) => w.id)).toEqual(["whk_a"]);
    expect((await listWebhooks(store, "default", { limit: "1" })).data.map((w) => w.id)).toEqual(["whk_b"]);
    // Builder queries read rows as arrays; hand-written SQL through Drizzle reads objects.
    expect(db.select({ id: webhooks.id }).from(webhooks).orderBy(webhooks.id).all()).toEqual([{ id: "whk_a" }, { id: "whk_b" }]);
    expect(db.all(sql`select "id" from "webhooks" order by "webhooks"."id"`)).toEqual([{ id: "whk_a" }, { id: "whk_b" }]);
    expect(db.select({ id: webhooks.id }).from(webhooks).orderBy(webhooks.id).all()).toEqual([{ id: "whk_a" }, { id: "whk_b" }]);
    closeDatabase(db);
  });
});
