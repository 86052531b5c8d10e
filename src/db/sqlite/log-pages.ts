// Newest-first pages of a log on SQLite: ordered by (created_at, rowid), so a walk follows an
// index that ends in created_at (the rowid rides in every SQLite index) and a deep page is a
// seek, not a scan of the newer rows. A cursor is the last row's rowid, opaque outside the store;
// if that row is gone by the next page (retention, a delete), the walk goes on below its rowid:
// rowids follow insertion, which follows created_at but for clock steps.
import type { Database, Statement } from "better-sqlite3";
import { sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { LogPage } from "../aggregates/delivery-log";
import { decodeRowIdCursor, pageOf } from "./rowid-page";
import { compile, param } from "./sql";

function rowIdOf(cursor: string): number {
  const rowId = decodeRowIdCursor(cursor);
  // The services check cursors with Store.cursors before they reach the store (http/pagination.ts).
  if (Number.isNaN(rowId)) throw new Error("Not a cursor of this store");
  return rowId;
}

/** Where a page starts: the first page, after a row still there, or after a deleted one. */
export type PageStart = "start" | "afterRow" | "afterRowid";

/** The values a page's start binds: `cursorAt` and `cursorRowId`. */
export interface StartValues {
  cursorAt?: number;
  cursorRowId?: number;
}

/** A table's newest-first order and the statements that find where a page starts. */
export class NewestFirst {
  readonly rowId: SQL;
  readonly orderBy: SQL;
  private readonly createdAtOf: Statement;

  constructor(
    sqlite: Database,
    table: SQLiteTable,
    private readonly createdAt: SQLiteColumn,
  ) {
    this.rowId = sql`${table}.rowid`;
    this.orderBy = sql`${createdAt} DESC, ${this.rowId} DESC`;
    this.createdAtOf = compile(sqlite, sql`SELECT ${createdAt} FROM ${table} WHERE ${this.rowId} = ${param("rowId")}`).pluck();
  }

  /** Reads the cursor's row: where the next page starts, and what that start binds. */
  start(cursor: string | undefined): { start: PageStart; values: StartValues } {
    if (cursor === undefined) return { start: "start", values: {} };
    const cursorRowId = rowIdOf(cursor);
    const cursorAt = this.createdAtOf.get({ rowId: cursorRowId }) as number | undefined;
    if (cursorAt === undefined) return { start: "afterRowid", values: { cursorRowId } };
    return { start: "afterRow", values: { cursorAt, cursorRowId } };
  }

  /** The condition for rows after the start (undefined: from the newest). */
  after(start: PageStart): SQL | undefined {
    if (start === "afterRow") return sql`(${this.createdAt}, ${this.rowId}) < (${param("cursorAt")}, ${param("cursorRowId")})`;
    if (start === "afterRowid") return sql`${this.rowId} < ${param("cursorRowId")}`;
    return undefined;
  }

  /** Rows at or after one already seen (the edge of a bounded window). */
  notBefore(): SQL {
    return sql`(${this.createdAt}, ${this.rowId}) >= (${param("edgeAt")}, ${param("edgeRowId")})`;
  }
}

/** Cuts `limit + 1` rows fetched newest first into a page. */
export function cutPage<R extends { rowId: number }, T>(rows: R[], limit: number, toItem: (row: R) => T): LogPage<T> {
  const page = pageOf(rows, limit, toItem);
  return { items: page.rows, nextCursor: page.nextCursor, hasMore: page.nextCursor !== null };
}

/**
 * Statements whose text depends on which filters a request has: each shape is compiled on its
 * first use, then reused. The shapes are few (a filter is there or not), so this stays small.
 */
export class ShapedStatements<S> {
  private readonly compiled = new Map<string, Statement>();

  constructor(
    private readonly sqlite: Database,
    private readonly keyOf: (shape: S) => string,
    private readonly build: (shape: S) => SQL,
  ) {}

  get(shape: S): Statement {
    const key = this.keyOf(shape);
    let statement = this.compiled.get(key);
    if (!statement) this.compiled.set(key, (statement = compile(this.sqlite, this.build(shape))));
    return statement;
  }
}

/** `and` of the conditions present. */
export function allOf(conditions: (SQL | undefined)[]): SQL {
  const present = conditions.filter((c): c is SQL => c !== undefined);
  return present.length === 0 ? sql`1` : sql.join(present, sql` AND `);
}
