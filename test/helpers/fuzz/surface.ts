// How a fuzz run sees an API surface: its write routes (with a valid body to mutate), how to
// fill path parameters, and what valid and invalid credentials look like.
import type Sqlite from "better-sqlite3";
import type { Random } from "./random";

export interface FuzzContext {
  r: Random;
  sqlite: Sqlite.Database;
}

/** How a route authenticates: valid credentials, and bad ones that must be refused. */
export interface AuthScheme {
  valid(ctx: FuzzContext): Record<string, string>;
  /** Absent for public routes (login): there are no bad credentials to send. */
  bad?(ctx: FuzzContext): Record<string, string>;
  /** The only statuses a request with bad credentials may get. */
  badStatuses: readonly number[];
}

export const PUBLIC: AuthScheme = { valid: () => ({}), badStatuses: [] };

export interface FuzzRoute {
  method: string;
  /** Relative share of the requests (default 1): expensive routes (argon2) get less. */
  weight?: number;
  /** Defaults to the surface's scheme. */
  auth?: AuthScheme;
  /** Template with `:name` parameters, e.g. `/api/v1/links/webhooks/:id`. */
  path: string;
  /** Fills each parameter, usually with an id that exists (see existingOrGarbage). */
  params?: Record<string, (ctx: FuzzContext) => string>;
  /** A query string (without "?") appended to the path. */
  query?: (ctx: FuzzContext) => string;
  /** Extra request headers (e.g. Idempotency-Key), valid or not. */
  headers?: (ctx: FuzzContext) => Record<string, string>;
  /** A valid body to send or mutate; absent for routes that take none. */
  body?: (ctx: FuzzContext) => Record<string, unknown>;
}

export interface FuzzSurface {
  name: string;
  routes: FuzzRoute[];
  auth: AuthScheme;
  /**
   * Called between requests to restore what the fuzz legitimately destroyed (e.g. a logout
   * ended the session it signs in with); returns true when it wrote to the database.
   */
  refresh?(ctx: FuzzContext): boolean;
}

const GARBAGE_IDS = [
  "",
  "x",
  "whk_00000000",
  "00000000-0000-0000-0000-000000000000",
  "%00",
  "%2F..%2Fsecret",
  "..",
  "%27%20OR%20%271%27%3D%271",
  "1%3B%20DROP%20TABLE%20webhooks",
  encodeURIComponent("𝕳🚀"),
  "%E0%A4%A",
  "%ZZ",
  "null",
  "-1",
  "9".repeat(40),
  "a".repeat(5000),
];

/** An id from the table 75 % of the time, otherwise something that is not an id. */
export function existingOrGarbage(table: string, column = "id") {
  return ({ r, sqlite }: FuzzContext): string => {
    if (r.chance(0.75)) {
      const ids = sqlite.prepare(`select "${column}" from "${table}" order by rowid limit 100`).pluck().all() as string[];
      if (ids.length) {
        const id = r.pick(ids);
        return r.chance(0.9) ? id : r.pick([id.toUpperCase(), id + "x", id.slice(0, -1), ` ${id}`, id + "%00"]).replace(/ /g, "%20");
      }
    }
    return r.chance(0.5) ? r.pick(GARBAGE_IDS) : encodeURIComponent(String.fromCharCode(...Array.from({ length: r.int(1, 30) }, () => r.int(32, 0x2fff))));
  };
}

export function fillPath(route: FuzzRoute, ctx: FuzzContext): string {
  const path = route.path.replace(/:(\w+)/g, (_, name: string) => route.params?.[name]?.(ctx) ?? "x");
  const query = route.query?.(ctx);
  return query ? `${path}?${query}` : path;
}

const QUERY_VALUES = ["", "0", "1", "-1", "20", "100", "101", "1e2", "0x10", "abc", "%00", "true", "false", "maybe", "null", "cjEyMw", "cjA", "r99", "%ZZ", "😀", "9".repeat(30), "a".repeat(3000)];

/** A query string over `keys` (plus an unknown one): garbage values, repeated keys, array forms. */
export function garbageQuery(keys: string[]) {
  return ({ r }: FuzzContext): string => {
    const parts: string[] = [];
    for (const key of [...keys, "unknown"]) {
      if (r.chance(0.5)) continue;
      const value = r.chance(0.7) ? r.pick(QUERY_VALUES) : encodeURIComponent(r.pick(QUERY_VALUES));
      parts.push(r.chance(0.1) ? `${key}[]=${value}` : `${key}=${value}`);
      if (r.chance(0.1)) parts.push(`${key}=${r.pick(QUERY_VALUES)}`);
    }
    return parts.join("&");
  };
}
