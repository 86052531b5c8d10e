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

let db: Database.Database | undefined;
let timer: ReturnType<typeof setInterval> | undefined;
let failing = false;

function report(message: CheckpointerReport): void {
  self.postMessage(message);
}

function checkpoint(): void {
  try {
    // PASSIVE never waits for readers or the writer: it copies what it can and returns.
    db!.pragma("wal_checkpoint(PASSIVE)");
    if (failing) report({ kind: "ok" });
    failing = false;
  } catch (e) {
    // Busy or I/O trouble: the WAL keeps everything; the next tick tries again.
    failing = true;
    report({ kind: "error", error: String(e) });
  }
}

self.onmessage = (event: MessageEvent<CheckpointerCommand>) => {
  const command = event.data;
  if (command.kind === "start") {
    try {
      db = new Database(command.path, { fileMustExist: true });
      db.pragma("busy_timeout = 5000");
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
