// The checkpointer's thread (see checkpointer.ts): its own connection to the database file,
// copying committed WAL pages into the main file and syncing it, so no request waits for that.
import Database from "better-sqlite3";

declare const self: Worker;

export type CheckpointerCommand = { kind: "start"; path: string; everyMs: number } | { kind: "stop" };
export type CheckpointerReport =
  | { kind: "ready" }
  /** The connection could not be opened: the caller keeps checkpointing on commit. */
  | { kind: "failed"; error: string }
  /** One checkpoint failed (busy, I/O); the next tick tries again. */
  | { kind: "error"; error: string }
  /** A checkpoint went through after failures (sent only then, to keep the channel quiet). */
  | { kind: "ok" }
  | { kind: "stopped" };

/**
 * WAL frames (pages) past which a checkpoint also restarts the log. A PASSIVE checkpoint never
 * catches up with a writer that never pauses, and SQLite starts the WAL over only after one has:
 * under sustained writes the file grew without end, and every page read searched more of it
 * (test/bench/RESULTS.md, session 8). TRUNCATE waits at most RESTART_WAIT_MS for the writer,
 * copies what PASSIVE left (little: it runs right after one) and empties the file.
 */
const RESTART_AT_FRAMES = 4096;
const RESTART_WAIT_MS = 20;
const BUSY_TIMEOUT_MS = 5000;

let db: Database.Database | undefined;
let timer: ReturnType<typeof setInterval> | undefined;
let failing = false;

function report(message: CheckpointerReport): void {
  self.postMessage(message);
}

function checkpoint(): void {
  try {
    // PASSIVE never waits for readers or the writer: it copies what it can and returns.
    const [passive] = db!.pragma("wal_checkpoint(PASSIVE)") as { log: number }[];
    if (passive && passive.log >= RESTART_AT_FRAMES) restartLog();
    if (failing) report({ kind: "ok" });
    failing = false;
  } catch (e) {
    // Busy or I/O trouble: the WAL keeps everything; the next tick tries again.
    failing = true;
    report({ kind: "error", error: String(e) });
  }
}

/** A TRUNCATE checkpoint that waits only briefly for the writer; when it cannot, the next tick tries again. */
function restartLog(): void {
  db!.pragma(`busy_timeout = ${RESTART_WAIT_MS}`);
  try {
    db!.pragma("wal_checkpoint(TRUNCATE)");
  } catch (e) {
    if (!String((e as { code?: unknown }).code ?? "").startsWith("SQLITE_BUSY")) throw e;
  } finally {
    db!.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }
}

self.onmessage = (event: MessageEvent<CheckpointerCommand>) => {
  const command = event.data;
  if (command.kind === "start") {
    try {
      db = new Database(command.path, { fileMustExist: true });
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      timer = setInterval(checkpoint, command.everyMs);
      report({ kind: "ready" });
    } catch (e) {
      report({ kind: "failed", error: String(e) });
    }
  } else {
    clearInterval(timer);
    try {
      if (db?.open) {
        checkpoint();
        db.close();
      }
    } finally {
      report({ kind: "stopped" });
    }
  }
};
