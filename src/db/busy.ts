// SQLite's write lock held by another process (a one-shot command, a `sqlite3` shell, a
// backup) longer than the busy timeout. better-sqlite3 is synchronous: while SQLite waits for
// the lock the whole event loop waits with it, so the server's connection waits only briefly
// (SERVER_BUSY_TIMEOUT_MS) and callers retry later without blocking (db/group-commit.ts) or
// answer 503 (http/error-handler.ts).

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
