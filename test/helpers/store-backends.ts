// The table of stores every contract test runs against: the same cases, once per store, so the
// SQLite and the PostgreSQL implementation of an aggregate cannot drift apart. A new store
// aggregate gets its contract file (test/store-contract-<name>.test.ts) written against
// `StoreHarness`; a new backend is one more entry in BACKENDS.
//
// Rows are seeded and read through each backend's own Drizzle schema: both schemas hold the same
// tables and columns under the same property names (test/postgres-schema-parity.test.ts), with
// times as numbers and flags as booleans, so a case reads the same on either.
import { afterAll, afterEach, beforeAll, beforeEach, describe } from "bun:test";
import { SQL } from "bun";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/bun-sql";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/db/client";
import { migrateDatabase } from "../../src/db/migrate";
import { migratePostgres } from "../../src/db/postgres/migrate";
import * as pgSchema from "../../src/db/postgres/schema";
import { PostgresStore } from "../../src/db/postgres/store";
import * as sqliteSchema from "../../src/db/schema";
import { SqliteStore } from "../../src/db/sqlite/store";
import type { Store } from "../../src/db/store";

/** What a contract test may use of a store: all of it, both stores implement every aggregate. */
type StoreUnderTest = Store;
import { startTestPostgres, type TestPostgres } from "./postgres";

/** The tables a contract test may seed and read. */
export type TableName =
  | "webhooks"
  | "webhookEventTypes"
  | "events"
  | "deliveries"
  | "deliveryAttempts"
  | "apiKeys"
  | "tenants"
  | "users"
  | "sessions"
  | "loginAttempts"
  | "loginKnownAddresses"
  | "trafficSources"
  | "trafficSourceWebhooks";
type Row = Record<string, unknown>;

export interface StoreHarness {
  readonly store: StoreUnderTest;
  /** Several nodes share this database (each its own store and pool), as PostgreSQL allows. */
  readonly sharedByNodes: boolean;
  insert(table: TableName, rows: Row | Row[]): Promise<void>;
  /** Every row of the table, as its Drizzle schema maps it (times numbers, flags booleans). */
  rows(table: TableName): Promise<Row[]>;
  row(table: TableName, id: string): Promise<Row | undefined>;
  update(table: TableName, id: string, values: Row): Promise<void>;
  /** Another node on the same database (only where `sharedByNodes`); the same `nodeId` twice is one node restarted. */
  otherNode(nodeId?: string): Promise<StoreUnderTest>;
}

interface Backend {
  name: string;
  start(): Promise<void>;
  open(): Promise<StoreHarness & { close(): Promise<void> }>;
  stop(): Promise<void>;
}

// Drizzle's builders differ in type between dialects, not in use: the harness calls them alike.
type AnyDb = { insert(t: unknown): any; select(): any; update(t: unknown): any };

function harness(db: AnyDb, schema: Record<TableName, any>, store: StoreUnderTest, extra: Pick<StoreHarness, "sharedByNodes" | "otherNode">): StoreHarness {
  return {
    store,
    ...extra,
    insert: async (table, rows) => void (await db.insert(schema[table]).values(rows)),
    rows: async (table) => await db.select().from(schema[table]),
    row: async (table, id) => (await db.select().from(schema[table]).where(eq(schema[table].id, id)))[0],
    update: async (table, id, values) => void (await db.update(schema[table]).set(values).where(eq(schema[table].id, id))),
  };
}

const sqlite: Backend = (() => {
  let dir = "";
  return {
    name: "sqlite",
    async start() {
      dir = mkdtempSync(join(tmpdir(), "hookrelay-contract-"));
    },
    async open() {
      const db = openDatabase(join(dir, `${crypto.randomUUID()}.db`));
      migrateDatabase(db);
      const h = harness(db as unknown as AnyDb, sqliteSchema, new SqliteStore(db), {
        sharedByNodes: false,
        otherNode: () => Promise.reject(new Error("one SQLite file has one node (its serve lock)")),
      });
      return { ...h, close: async () => void db.$client.close() };
    },
    async stop() {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
})();

const postgres: Backend = (() => {
  let pg: TestPostgres | undefined;
  return {
    name: "postgres",
    async start() {
      pg = await startTestPostgres();
    },
    async open() {
      const url = await pg!.createDatabase();
      await migratePostgres(url);
      const clients: SQL[] = [];
      const node = (nodeId?: string) => {
        const client = new SQL({ url, max: 4 });
        clients.push(client);
        return new PostgresStore(client, nodeId);
      };
      const store = node();
      const h = harness(drizzle({ client: store.client, schema: pgSchema }) as unknown as AnyDb, pgSchema, store, {
        sharedByNodes: true,
        otherNode: async (nodeId?: string) => node(nodeId),
      });
      return { ...h, close: async () => void (await Promise.all(clients.map((c) => c.close()))) };
    },
    async stop() {
      await pg?.stop();
    },
  };
})();

export const BACKENDS: readonly Backend[] = [sqlite, postgres];

export interface DescribeOptions {
  /**
   * Only these backends: for an aggregate one store has and the other has not yet (its branch is
   * not merged). Name both as soon as both implement it.
   */
  backends?: readonly string[];
}

/**
 * `body` once per backend, under `title [backend]`; `h()` is a fresh, migrated, empty database
 * and its store for each test.
 */
export function describeStores(title: string, body: (h: () => StoreHarness) => void, options: DescribeOptions = {}): void {
  for (const backend of BACKENDS.filter((b) => !options.backends || options.backends.includes(b.name))) {
    describe(`${title} [${backend.name}]`, () => {
      let current: (StoreHarness & { close(): Promise<void> }) | undefined;
      beforeAll(() => backend.start(), 30_000);
      afterAll(() => backend.stop(), 15_000);
      beforeEach(async () => {
        current = await backend.open();
      }, 15_000);
      afterEach(async () => {
        await current?.close();
        current = undefined;
      });
      body(() => current!);
    });
  }
}
