// A full dump of every table, to prove that a rejected request changed nothing, and a prune
// that keeps the fuzzed database small (so dumping after every request stays cheap).
import type Sqlite from "better-sqlite3";

type Database = Sqlite.Database;

/** Columns any authenticated request may refresh, accepted or not: not data it changed. */
const BOOKKEEPING = new Set(["api_keys.last_used_at"]);
/**
 * Rows a rejected request writes by design, left out of the dump: a refused sign-in is recorded,
 * since that record is what login throttling counts (src/auth/login-rate-limit.ts).
 */
const WRITTEN_BY_REJECTIONS = new Set(["login_attempts"]);

interface Table {
  name: string;
  select: Sqlite.Statement<[]>;
  /** A WITHOUT ROWID table (webhook_event_types): rows kept by triggers from another table's, so
   * they are dumped in key order and pruned with the rows they derive from. */
  withoutRowid: boolean;
}

export class Snapshotter {
  private readonly tables: Table[];
  private readonly withRowid: Table[];
  private watermark = new Map<string, number>();

  constructor(private readonly sqlite: Database) {
    const names = sqlite
      .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name")
      .pluck()
      .all() as string[];
    this.tables = names.map((name) => {
      const columns = (sqlite.prepare(`select name from pragma_table_info(?)`).pluck().all(name) as string[])
        .filter((column) => !BOOKKEEPING.has(`${name}.${column}`))
        .map((column) => `"${column}"`);
      const withoutRowid = sqlite.prepare("select wr from pragma_table_list where name = ?").pluck().get(name) === 1;
      const order = withoutRowid ? columns.map((_, i) => i + 1).join(", ") : "rowid";
      return { name, withoutRowid, select: sqlite.prepare<[]>(`select ${columns.join(", ")} from "${name}" order by ${order}`).raw(true) };
    });
    this.withRowid = this.tables.filter((t) => !t.withoutRowid);
  }

  /** Every row of every table, as one string. */
  dump(): string {
    let out = "";
    for (const table of this.tables) {
      if (!WRITTEN_BY_REJECTIONS.has(table.name)) out += table.name + JSON.stringify(table.select.all()) + "\n";
    }
    return out;
  }

  /** Rows present now are fixtures: prune() never deletes them. */
  markFixtures(): void {
    for (const { name } of this.withRowid) {
      const max = this.sqlite.prepare(`select coalesce(max(rowid), 0) from "${name}"`).pluck().get() as number;
      this.watermark.set(name, max);
    }
  }

  /** Number of rows added since markFixtures(). */
  growth(): number {
    let rows = 0;
    for (const { name } of this.withRowid) {
      rows += this.sqlite.prepare(`select count(*) from "${name}" where rowid > ?`).pluck().get(this.watermark.get(name) ?? 0) as number;
    }
    return rows;
  }

  /** Deletes rows added since markFixtures() (foreign keys cascade to their dependants). */
  prune(): void {
    for (const { name } of [...this.withRowid].reverse()) {
      if (name === "__drizzle_migrations") continue;
      this.sqlite.prepare(`delete from "${name}" where rowid > ?`).run(this.watermark.get(name) ?? 0);
    }
  }
}
