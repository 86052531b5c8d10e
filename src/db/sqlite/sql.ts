// Raw SQL for the SQLite store, written with the schema's own table and column references
// (`${deliveries.status}`), so renaming a column fails the type check instead of a test. Values
// are named parameters (`param("now")`) bound when a statement runs: every statement is compiled
// once, by the store that owns it.
import type { Database, Statement } from "better-sqlite3";
import type { SQL } from "drizzle-orm";
import { sql } from "drizzle-orm";
import { SQLiteSyncDialect, type SQLiteColumn } from "drizzle-orm/sqlite-core";

const dialect = new SQLiteSyncDialect();

/** A column by its bare name, where SQLite wants no table prefix (SET, INSERT lists, RETURNING). */
export function bare(column: SQLiteColumn): SQL {
  return sql`${sql.identifier(column.name)}`;
}

/** A named parameter: its value is bound by name when the statement runs. */
export function param(name: string): SQL {
  return sql.raw(`:${name}`);
}

/** Compiles a statement; values must be `param`s, so the text never depends on them. */
export function compile(sqlite: Database, query: SQL): Statement {
  const { sql: text, params } = dialect.sqlToQuery(query);
  if (params.length > 0) throw new Error(`SQL with inlined values cannot be compiled once: ${text}`);
  return sqlite.prepare(text);
}
