// SQLite's write lock held by another process (a one-shot command, a `sqlite3` shell, a
// backup) longer than the busy timeout. better-sqlite3 is synchronous: while SQLite waits for
// the lock the whole event loop waits with it, so the server's connection waits only briefly
// (SERVER_BUSY_TIMEOUT_MS) and callers retry later without blocking (db/group-commit.ts) or
// answer 503 (http/error-handler.ts). Once a write found the lock held, writes stop waiting at
// all until the lock has been free for a moment: a pile of requests each waiting the busy
// timeout in turn would add up to a long freeze.
import type { Db } from "./client";

/** How long one statement of the server may block the event loop waiting for the write lock. */
export const SERVER_BUSY_TIMEOUT_MS = 50;

/** How long a group-committed write keeps retrying before its request is answered 503. */
export const WRITE_LOCK_PATIENCE_MS = 5_000;

/** Seconds a client is told to wait (Retry-After) when the database stayed busy. */
export const BUSY_RETRY_AFTER_SECONDS = 1;

export function isDatabaseBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}

/** How long after the last busy error writes keep failing at once instead of waiting. */
const CONTENDED_MS = 250;

const contended = new WeakMap<Db, { timer: ReturnType<typeof setTimeout>; busyTimeoutMs: number }>();

/** A write on `db` just failed on the write lock: until it has been free for CONTENDED_MS, writes do not wait for it. */
export function noteWriteLockHeld(db: Db): void {
  const sqlite = db.$client;
  if (!sqlite.open) return;
  const state = contended.get(db);
  if (state) clearTimeout(state.timer);
  const busyTimeoutMs = state?.busyTimeoutMs ?? (sqlite.pragma("busy_timeout", { simple: true }) as number);
  if (!state) sqlite.pragma("busy_timeout = 0");
  const timer = setTimeout(() => {
    contended.delete(db);
    if (sqlite.open) sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
  }, CONTENDED_MS);
  // Not a reason to keep a stopping process alive.
  (timer as { unref?: () => void }).unref?.();
  contended.set(db, { timer, busyTimeoutMs });
}
