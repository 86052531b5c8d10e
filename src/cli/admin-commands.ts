// One-shot commands against the database file: they run while `serve` runs too (SQLite WAL
// lets them write beside it), print their result and exit.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Config } from "../config";
import { closeDatabase, openDatabase } from "../db/client";
import { MIGRATIONS_DIR, migrateDatabase } from "../db/migrate";
import { withoutPassword } from "../db/open";
import { migratePostgres } from "../db/postgres/migrate";
import { appliedMigrationCount, liveBytes } from "../db/sqlite/file-facts";
import { DatabaseTaskFailed, runDatabaseTask } from "../db/task-runner";
import type { DatabaseTask } from "../db/task-worker";
import { terminalProgress } from "./progress";
import { UsageError } from "./args";
import { checkTempDir } from "./runtime";

export class CommandFailed extends Error {}

/** Applies pending migrations and says which (on a terminal, with progress while they run). */
export async function migrateCommand(config: Config): Promise<void> {
  if (config.databaseUrl) return migratePostgresCommand(config.databaseUrl);
  checkTempDir();
  const path = config.databasePath;
  const tags = migrationTags();
  const before = appliedMigrationCount(path);
  const pending = tags.slice(before);
  const started = Date.now();
  const progress = terminalProgress();
  const tick = () => progress.update(`Applying ${plural(pending.length, "migration")} to ${path}: ${pending.join(", ")}… ${elapsed(started)}`);
  if (pending.length > 0) tick();
  try {
    await runOffThread({ kind: "migrate", path, migrationsFolder: MIGRATIONS_DIR }, pending.length > 0 ? tick : undefined);
  } finally {
    progress.clear();
  }
  const after = appliedMigrationCount(path);
  const applied = tags.slice(before, after);
  process.stderr.write(
    applied.length > 0
      ? `Applied ${plural(applied.length, "migration")} to ${path} in ${elapsed(started)}: ${applied.join(", ")}.\n`
      : `Database ${path} is up to date (${plural(after, "migration")} applied before).\n`,
  );
}

/** The same on PostgreSQL, under the advisory lock every node's start-up takes too. */
async function migratePostgresCommand(url: string): Promise<void> {
  const started = Date.now();
  const { applied, total } = await migratePostgres(url);
  process.stderr.write(
    applied > 0
      ? `Applied ${plural(applied, "migration")} to ${withoutPassword(url)} in ${elapsed(started)}.\n`
      : `Database ${withoutPassword(url)} is up to date (${plural(total, "migration")} applied before).\n`,
  );
}

/** Names of the shipped migrations, in order. */
function migrationTags(): string[] {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, "meta/_journal.json"), "utf8")) as { entries: { tag: string }[] };
  return journal.entries.map((e) => e.tag);
}

/**
 * A database task on a worker thread, so the main one can report progress; in-process for
 * databases another connection cannot see (`:memory:`, URIs).
 */
async function runOffThread(task: DatabaseTask, onTick?: () => void): Promise<void> {
  if (task.path === ":memory:" || task.path.startsWith("file:")) {
    if (task.kind !== "migrate") throw new CommandFailed(`DATABASE_PATH "${task.path}" is not a plain file`);
    const db = openDatabase(task.path);
    try {
      migrateDatabase(db, task.migrationsFolder);
    } finally {
      closeDatabase(db);
    }
    return;
  }
  try {
    await runDatabaseTask(task, onTick);
  } catch (e) {
    if (e instanceof DatabaseTaskFailed) throw new CommandFailed(e.message);
    throw e;
  }
}

export async function backupCommand(config: Config, target: string): Promise<void> {
  if (config.databaseUrl) {
    throw new CommandFailed("backup copies the SQLite file; with DATABASE_URL set, back PostgreSQL up with pg_dump (README, Running several nodes)");
  }
  if (config.databasePath === ":memory:" || config.databasePath.startsWith("file:")) {
    throw new CommandFailed(`cannot back up DATABASE_PATH "${config.databasePath}": it is not a plain file`);
  }
  if (!existsSync(config.databasePath)) throw new CommandFailed(`no database at ${config.databasePath}`);
  const out = resolve(target);
  if (existsSync(out)) throw new CommandFailed(`${out} already exists; backup never overwrites a file`);
  if (!existsSync(dirname(out)) || !statSync(dirname(out)).isDirectory()) {
    throw new CommandFailed(`directory ${dirname(out)} does not exist`);
  }
  checkTempDir();
  const expected = liveBytes(config.databasePath);
  const started = Date.now();
  const progress = terminalProgress();
  const tick = () => {
    const written = existsSync(out) ? statSync(out).size : 0;
    // The copy leaves free pages out, so it may end below the estimate: never show 100 % early.
    const percent = Math.min(99, Math.floor((100 * written) / Math.max(expected, 1)));
    progress.update(`Backing up ${config.databasePath}: ${percent} % (${megabytes(written)} of about ${megabytes(expected)})… ${elapsed(started)}`);
  };
  tick();
  try {
    await runOffThread({ kind: "vacuum-into", path: config.databasePath, target: out }, tick);
  } finally {
    progress.clear();
  }
  process.stderr.write(`Backed up ${config.databasePath} to ${out} (${statSync(out).size} bytes) in ${elapsed(started)}.\n`);
}

const megabytes = (bytes: number) => `${(bytes / 1_000_000).toFixed(1)} MB`;
const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * Probes the local server's /health, for container and service-manager health checks that
 * have no curl: exit 0 when it answers 200, 1 otherwise.
 */
export async function healthCommand(config: Config): Promise<void> {
  const wildcard = config.host === "0.0.0.0" || config.host === "::";
  const host = wildcard ? "127.0.0.1" : config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host}:${config.port}/health`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(5_000), redirect: "manual" });
  } catch (e) {
    throw new CommandFailed(`${url} is not reachable: ${(e as Error).message}`);
  }
  if (res.status !== 200) throw new CommandFailed(`${url} answered ${res.status}`);
  process.stdout.write(`${url} ok\n`);
}
