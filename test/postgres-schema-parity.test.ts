// The SQLite schema (src/db/schema.ts) and its PostgreSQL twin (src/db/postgres/schema.ts) hold
// the same tables and the same columns, so both stores answer the same rows. Read from the two
// Drizzle schema objects; nothing here needs a database.
//
// Differences allowed, and only these:
// - Column types follow the mapping below (SQLite integer → PostgreSQL integer or bigint, and
//   bigint for every time; 0/1 flags → boolean; text → text, never jsonb).
// - Index columns: PostgreSQL has no rowid, so indexes that order a list (SQLite walks them in
//   rowid order) end in `id` there — LIST_INDEXES; `deliveries_due_idx` is a partial index of
//   unfinished rows on next_attempt_at there instead of (status, next_attempt_at).
// - PG_ONLY_INDEXES exist only in PostgreSQL, each with its reason; so do PG_ONLY_COLUMNS.
// - `deliveries_fifo_idx` ends in `seq` there: the publish order SQLite has in its rowid.
// - Tables in PG_ONLY_FOR_NOW exist only in PostgreSQL until their SQLite twin lands (none today:
//   webhook_event_types is in both and compared like the rest).
import { describe, expect, test } from "bun:test";
import { getTableName, is } from "drizzle-orm";
import { getTableConfig as pgTableConfig, PgTable } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import * as pgSchema from "../src/db/postgres/schema";
import * as sqliteSchema from "../src/db/schema";

const PG_ONLY_FOR_NOW: string[] = [];
/** SQLite index columns + `id` in PostgreSQL (the rowid SQLite keeps in every index). */
const LIST_INDEXES: Record<string, string[]> = {
  webhooks_tenant_idx: ["tenant_id", "created_at", "id"],
  events_tenant_created_idx: ["tenant_id", "created_at", "id"],
  events_tenant_type_created_idx: ["tenant_id", "type", "created_at", "id"],
  deliveries_webhook_idx: ["webhook_id", "created_at", "id"],
  deliveries_traffic_source_webhook_idx: ["traffic_source_webhook_id", "created_at", "id"],
  deliveries_tenant_created_idx: ["tenant_id", "created_at", "id"],
  traffic_sources_owner_idx: ["owner_id", "created_at", "id"],
};
const DUE_INDEX = "deliveries_due_idx";
/** SQLite index columns + `seq`, PostgreSQL's publish order (SQLite's rowid). */
const SEQ_INDEXES: Record<string, string[]> = { deliveries_fifo_idx: ["webhook_id", "status", "seq"] };
/** Columns PostgreSQL has on top of SQLite's (at the end of their table). */
const PG_ONLY_COLUMNS: Record<string, string[]> = {
  // Publish order, for fifo webhooks: SQLite has it in the rowid.
  deliveries: ["seq"],
};
/** Indexes PostgreSQL has on top of SQLite's. */
const PG_ONLY_INDEXES: string[] = [
  // SQLite's triggers find a webhook's subscriptions by key from OLD.events; PostgreSQL's statements by webhook id.
  "webhook_event_types_webhook_idx",
  // The gauges count failed rows; SQLite's due index leads with status and counts them, PostgreSQL's holds only unfinished rows.
  "deliveries_failed_idx",
];

/** SQLite column type → the PostgreSQL column types that may stand for it. */
const TYPE_MAP: Record<string, string[]> = {
  SQLiteText: ["PgText"],
  SQLiteBoolean: ["PgBoolean"],
  SQLiteInteger: ["PgInteger", "PgBigInt53"],
};

interface ColumnShape {
  type: string;
  notNull: boolean;
  primaryKey: boolean;
  unique: boolean;
  default: unknown;
  enumValues: string[] | undefined;
  references: string | undefined;
}
interface IndexShape {
  columns: string[];
  unique: boolean;
  partial: boolean;
}
interface TableShape {
  columns: Record<string, ColumnShape>;
  indexes: Record<string, IndexShape>;
}

type AnyConfig = ReturnType<typeof pgTableConfig> | ReturnType<typeof sqliteTableConfig>;

function shapeOf(config: AnyConfig): TableShape {
  const pkColumns = new Set(config.primaryKeys.flatMap((pk) => pk.columns.map((c) => c.name)));
  const references = new Map<string, string>();
  for (const fk of config.foreignKeys) {
    const ref = fk.reference();
    references.set(ref.columns[0]!.name, `${getTableName(ref.foreignTable)}.${ref.foreignColumns[0]!.name} on delete ${fk.onDelete}`);
  }
  const columns: Record<string, ColumnShape> = {};
  for (const c of config.columns) {
    columns[c.name] = {
      type: c.columnType,
      notNull: c.notNull,
      primaryKey: c.primary || pkColumns.has(c.name),
      unique: c.isUnique,
      default: c.default,
      enumValues: c.enumValues?.length ? [...c.enumValues] : undefined,
      references: references.get(c.name),
    };
  }
  const indexes: Record<string, IndexShape> = {};
  for (const i of config.indexes) {
    const cols = i.config.columns.map((c) => (c as { name: string }).name);
    indexes[i.config.name ?? "(an unnamed index)"] = { columns: cols, unique: Boolean(i.config.unique), partial: i.config.where !== undefined };
  }
  return { columns, indexes };
}

function withoutPgOnlyColumns(name: string, shape: TableShape): TableShape {
  const only = PG_ONLY_COLUMNS[name] ?? [];
  return { ...shape, columns: Object.fromEntries(Object.entries(shape.columns).filter(([c]) => !only.includes(c))) };
}

function tables(schema: Record<string, unknown>, dialect: "sqlite" | "pg"): Map<string, TableShape> {
  const out = new Map<string, TableShape>();
  for (const value of Object.values(schema)) {
    if (dialect === "sqlite" && is(value, SQLiteTable)) {
      const config = sqliteTableConfig(value);
      out.set(config.name, shapeOf(config));
    }
    if (dialect === "pg" && is(value, PgTable)) {
      const config = pgTableConfig(value);
      out.set(config.name, withoutPgOnlyColumns(config.name, shapeOf(config)));
    }
  }
  return out;
}

const sqlite = tables(sqliteSchema, "sqlite");
const pg = tables(pgSchema, "pg");
const shared = [...sqlite.keys()].filter((name) => pg.has(name));

describe("the PostgreSQL schema mirrors the SQLite schema", () => {
  test("the same tables (but those waiting for their SQLite twin)", () => {
    expect(sqlite.size).toBeGreaterThan(10);
    expect([...sqlite.keys()].filter((name) => !pg.has(name))).toEqual([]);
    const pgOnly = [...pg.keys()].filter((name) => !sqlite.has(name));
    expect(pgOnly.filter((name) => !PG_ONLY_FOR_NOW.includes(name))).toEqual([]);
  });

  test.each(shared)("%s: the same columns, in the same order", (name) => {
    expect(Object.keys(pg.get(name)!.columns)).toEqual(Object.keys(sqlite.get(name)!.columns));
  });

  test.each(shared)("%s: nullability, keys, uniqueness, defaults, enums and references match", (name) => {
    const strip = (t: TableShape) => Object.fromEntries(Object.entries(t.columns).map(([c, { type: _type, ...rest }]) => [c, rest]));
    expect(strip(pg.get(name)!)).toEqual(strip(sqlite.get(name)!));
  });

  test.each(shared)("%s: column types follow the mapping, and every time is a bigint", (name) => {
    for (const [column, s] of Object.entries(sqlite.get(name)!.columns)) {
      const p = pg.get(name)!.columns[column]!;
      expect({ column, type: TYPE_MAP[s.type]?.includes(p.type) ? "mapped" : `${s.type} → ${p.type}` }).toEqual({ column, type: "mapped" });
      if (column.endsWith("_at")) expect({ column, type: p.type }).toEqual({ column, type: "PgBigInt53" });
    }
  });

  test.each(shared)("%s: the same indexes, differing only as allowed", (name) => {
    const s = sqlite.get(name)!.indexes;
    const p = pg.get(name)!.indexes;
    expect(Object.keys(p).filter((i) => !PG_ONLY_INDEXES.includes(i)).sort()).toEqual(Object.keys(s).sort());
    for (const [index, shape] of Object.entries(s)) {
      const twin = p[index]!;
      expect({ index, unique: twin.unique }).toEqual({ index, unique: shape.unique });
      if (index === DUE_INDEX) continue; // checked below
      expect({ index, partial: twin.partial }).toEqual({ index, partial: shape.partial });
      expect({ index, columns: twin.columns }).toEqual({ index, columns: LIST_INDEXES[index] ?? SEQ_INDEXES[index] ?? shape.columns });
    }
  });

  test("the claim's index holds only unfinished rows, by due time", () => {
    expect(pg.get("deliveries")!.indexes[DUE_INDEX]).toEqual({ columns: ["next_attempt_at"], unique: false, partial: true });
  });

  test("every list index named as allowed exists in SQLite with the same leading columns", () => {
    for (const [index, columns] of Object.entries(LIST_INDEXES)) {
      const table = [...sqlite.values()].find((t) => index in t.indexes);
      expect({ index, found: table !== undefined }).toEqual({ index, found: true });
      const leading = table!.indexes[index]!.columns;
      expect(columns.slice(0, leading.length)).toEqual(leading);
      expect(columns.at(-1)).toBe("id");
    }
  });
});

test("PostgreSQL-only columns are the last of their table", () => {
  for (const [name, only] of Object.entries(PG_ONLY_COLUMNS)) {
    const table = [...Object.values(pgSchema)].find((v) => is(v, PgTable) && pgTableConfig(v as PgTable).name === name) as PgTable;
    const columns = pgTableConfig(table).columns.map((c) => c.name);
    expect(columns.slice(-only.length)).toEqual(only);
  }
});

describe("webhook_event_types in PostgreSQL", () => {
  test("is keyed by (tenant_id, event_type, webhook_id) without a foreign key, like its SQLite twin, plus its webhook_id index", () => {
    const t = pg.get("webhook_event_types")!;
    expect(Object.keys(t.columns)).toEqual(["tenant_id", "event_type", "webhook_id"]);
    expect(Object.values(t.columns).every((c) => c.primaryKey && c.notNull && c.type === "PgText")).toBe(true);
    expect(t.columns.webhook_id!.references).toBeUndefined();
    expect(t.indexes).toEqual({ webhook_event_types_webhook_idx: { columns: ["webhook_id"], unique: false, partial: false } });
  });
});
