// One `serve` per database file. The server holds an exclusive SQLite lock on `<db>.lock`, a
// small SQLite file beside the database: SQLite's locks are the kernel's POSIX record locks,
// which end with the process however it ends (kill -9 included), so a lock left by a dead server
// never needs clearing by hand. The database itself is not locked, so one-shot commands
// (migrate, keys create, users create, backup) keep working beside a running server.
import Database from "better-sqlite3";
import { existsSync, mkdirSync, realpathSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { DatabaseUnavailable } from "./client";

export class DatabaseInUse extends Error {}

export interface ServeLock {
  readonly path: string;
  release(): void;
}

/** `<db>.lock` beside the real file, so two spellings of one path (relative, symlinked) share a lock. */
export function serveLockPath(databasePath: string): string {
  const absolute = resolve(databasePath);
  // The database's folder is created at first start (db/client.ts); the lock comes first.
  mkdirSync(dirname(absolute), { recursive: true });
  const real = existsSync(absolute) ? realpathSync(absolute) : join(realpathSync(dirname(absolute)), basename(absolute));
  return `${real}.lock`;
}

/**
 * Takes the lock or throws DatabaseInUse at once (no waiting). Undefined for databases that are
 * not plain files (`:memory:`, `file:` URIs), which no other process can open anyway.
 */
export function acquireServeLock(databasePath: string): ServeLock | undefined {
  if (databasePath === ":memory:" || databasePath.startsWith("file:")) return undefined;
  let path: string;
  let lock: Database.Database;
  try {
    path = serveLockPath(databasePath);
    lock = new Database(path);
  } catch (e) {
    throw new DatabaseUnavailable(`DATABASE_PATH ${databasePath} cannot be used: ${(e as Error).message.split("\n")[0]}`);
  }
  try {
    lock.pragma("busy_timeout = 0");
    // In exclusive locking mode the lock taken by the first write is kept after its commit,
    // until the connection closes; no transaction stays open and no journal stays behind.
    lock.pragma("locking_mode = EXCLUSIVE");
    // The write is what takes the lock; what it writes says which process held it last
    // (`sqlite3 <db>.lock 'SELECT * FROM holder'` once that process is gone).
    lock.exec("CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, started_at INTEGER NOT NULL)");
    lock.transaction(() => {
      lock.exec("DELETE FROM holder");
      lock.prepare("INSERT INTO holder (pid, started_at) VALUES (?, ?)").run(process.pid, Date.now());
    }).exclusive();
  } catch (e) {
    lock.close();
    if ((e as { code?: string }).code === "SQLITE_BUSY") {
      throw new DatabaseInUse(
        `DATABASE_PATH ${databasePath} is in use by another hookrelay serve (it holds ${path}); run one serve per database file`,
      );
    }
    // Not SQLite's (overwritten, say): it holds nothing but the lock, so it can go.
    const reason = (e as Error).message.split("\n")[0];
    throw new DatabaseUnavailable(`DATABASE_PATH ${databasePath} cannot be used: its lock file ${path} failed (${reason}); remove it if no hookrelay serve runs`);
  }
  // `held` keeps the connection reachable: a collected connection is closed, and its lock with it.
  const held = { connection: lock as Database.Database | undefined };
  return {
    path,
    release() {
      held.connection?.close();
      held.connection = undefined;
    },
  };
}
