// Raw SQL for the PostgreSQL store, written with the pg-core schema's table and column
// references, as ../sqlite/sql.ts does for SQLite. Values are named placeholders
// (`param("now")`) filled when a statement runs; the text is rendered once, when the store is
// built, and Bun's client prepares it on each connection the first time it runs there.
import type { SQL as BunSQL } from "bun";
import { fillPlaceholders, is, Placeholder, sql, type SQL } from "drizzle-orm";
import { PgDialect, type PgColumn } from "drizzle-orm/pg-core";

const dialect = new PgDialect();

/** What runs a statement: the pool, a reserved connection or a transaction. */
export type Runner = Pick<BunSQL, "unsafe">;

/** A named placeholder: its value is bound when the statement runs. */
export function param(name: string): SQL {
  return sql`${sql.placeholder(name)}`;
}

/** A column by its bare name (SET targets, INSERT lists), where a table prefix is not allowed. */
export function bare(column: PgColumn): SQL {
  return sql`${sql.identifier(column.name)}`;
}

export interface Statement<Row> {
  readonly text: string;
  /** The parameter list for these values, in the order of the text's `$n`. */
  bind(values?: Record<string, unknown>): unknown[];
  run(on: Runner, values?: Record<string, unknown>): Promise<Row[]>;
}

/** Renders a statement once; values must be `param`s, so the text never depends on them. */
export function compile<Row = Record<string, unknown>>(query: SQL): Statement<Row> {
  const { sql: text, params } = dialect.sqlToQuery(query);
  if (params.some((p) => !is(p, Placeholder))) throw new Error(`SQL with inlined values cannot be compiled once: ${text}`);
  const bind = (values: Record<string, unknown> = {}) => fillPlaceholders(params, values).map(withoutNul);
  return { text, bind, run: async (on, values) => (await on.unsafe(text, bind(values))) as Row[] };
}

/**
 * A parameter as PostgreSQL text can take it: a string (or a string in an array) with a NUL has
 * it as U+FFFD, as pgText writes response bodies. Text a caller sends may hold a NUL (JSON allows
 * "\u0000" in a name, an email, a filter, a path segment) and SQLite stores and compares it; here
 * it would fail the statement (SQLSTATE 22021) and answer 500. Replaced in every parameter, on
 * writes and lookups alike, the store stays consistent with itself: what was written with a NUL
 * is found by the same text.
 */
export function withoutNul(value: unknown): unknown {
  if (typeof value === "string") return value.includes("\u0000") ? value.replaceAll("\u0000", "\uFFFD") : value;
  return Array.isArray(value) ? value.map(withoutNul) : value;
}

/**
 * The client Drizzle runs on, its parameters passed through withoutNul: every query it makes
 * (`unsafe`), in a transaction or a savepoint too. Anything else is the client's own.
 */
export function nulSafeClient(client: BunSQL): BunSQL {
  return new Proxy(client, {
    get(target, prop) {
      if (prop === "unsafe") return (query: string, params?: unknown[]) => target.unsafe(query, params?.map(withoutNul));
      if (prop === "begin" || prop === "savepoint") {
        return (...args: unknown[]) => {
          const body = args.pop() as (tx: BunSQL) => unknown;
          const method = Reflect.get(target, prop, target) as (...a: unknown[]) => unknown;
          return method.call(target, ...args, (tx: BunSQL) => body(nulSafeClient(tx)));
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * PostgreSQL text cannot hold NUL (U+0000): a receiver's response body or an error message
 * that has one would make the whole turn's write fail, so it is replaced by U+FFFD.
 */
export function pgText<T extends string | null>(value: T): T {
  return (value === null || !value.includes("\u0000") ? value : value.replaceAll("\u0000", "\uFFFD")) as T;
}

/** int8 columns come back from raw SQL as strings: a time or count as a number (they fit 2^53). */
export function int8(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}

export function int8OrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : int8(value);
}
