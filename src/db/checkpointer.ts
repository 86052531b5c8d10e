// Background WAL checkpoints. By default SQLite checkpoints inside whichever commit pushes the
// WAL past 1,000 pages: that commit copies the pages into the main file and syncs it, on the
// thread serving requests, while every request behind it waits. In-process, 160k creates cost
// 31-45 CPU-µs each with that and 28-30 without (test/bench/RESULTS.md). So the server turns
// commit-time checkpoints off and a worker thread with its own connection runs a PASSIVE
// checkpoint every CHECKPOINT_EVERY_MS instead, and starts the WAL over once it is large (a
// short TRUNCATE: under writes that never pause, PASSIVE alone let the file grow without end).
// If the worker cannot start or dies, SQLite's own checkpoints are switched back on:
// durability never depends on it, only speed.
import type { Logger } from "../log";
import type { Db } from "./client";
import type { CheckpointerCommand, CheckpointerReport } from "./checkpoint-worker";

export interface Checkpointer {
  /** Final checkpoint, then the worker's connection closes (before the server's, which must be last). */
  stop(): Promise<void>;
}

const CHECKPOINT_EVERY_MS = 200;
const START_TIMEOUT_MS = 5000;
const STOP_TIMEOUT_MS = 5000;
/** SQLite's default, restored when the worker is gone. */
const COMMIT_TIME_CHECKPOINT_PAGES = 1000;
/** About 2 s of failed checkpoints (busy, I/O) before SQLite's own take over again. */
const MAX_FAILURES_IN_A_ROW = 10;

/**
 * The worker's entry file. In a compiled binary (scripts/build.ts lists it as a second entry
 * point) every module reports the bundle root as its URL, and entry points keep their paths
 * relative to src/, so the file is found from there rather than from this module.
 */
function workerUrl(): string {
  const compiled = import.meta.url.includes("$bunfs");
  return new URL(compiled ? "./db/checkpoint-worker.ts" : "./checkpoint-worker.ts", import.meta.url).href;
}

/** Undefined (commit-time checkpoints stay on) for in-memory databases or when the worker cannot start. */
export async function startCheckpointer(db: Db, path: string, logger: Logger): Promise<Checkpointer | undefined> {
  if (path === ":memory:" || path.startsWith("file:")) return undefined;
  let worker: Worker;
  try {
    worker = new Worker(workerUrl());
  } catch (e) {
    logger.warn("checkpointer: worker unavailable, SQLite checkpoints on commit", { error: String(e) });
    return undefined;
  }
  const send = (command: CheckpointerCommand) => worker.postMessage(command);
  const started = await new Promise<true | string>((resolve) => {
    const timer = setTimeout(() => resolve("did not start in time"), START_TIMEOUT_MS);
    worker.onmessage = (event: MessageEvent<CheckpointerReport>) => {
      const report = event.data;
      if (report.kind === "ready" || report.kind === "failed") {
        clearTimeout(timer);
        resolve(report.kind === "ready" ? true : report.error);
      }
    };
    worker.onerror = (event) => {
      clearTimeout(timer);
      resolve(event.message || "worker error");
    };
    send({ kind: "start", path, everyMs: CHECKPOINT_EVERY_MS });
  });
  if (started !== true) {
    worker.terminate();
    logger.warn("checkpointer: worker unavailable, SQLite checkpoints on commit", { error: started });
    return undefined;
  }
  db.$client.pragma("wal_autocheckpoint = 0");
  logger.info("checkpointer: running", { every_ms: CHECKPOINT_EVERY_MS });
  let stopped: (() => void) | undefined;
  let dead = false;
  let stopping = false;
  let failuresInARow = 0;
  const fallBack = (error: string) => {
    if (dead) return;
    dead = true;
    stopped?.();
    logger.error("checkpointer: worker failed, SQLite checkpoints on commit again", { error });
    if (db.$client.open) db.$client.pragma(`wal_autocheckpoint = ${COMMIT_TIME_CHECKPOINT_PAGES}`);
    worker.terminate();
  };
  worker.onmessage = (event: MessageEvent<CheckpointerReport>) => {
    const report = event.data;
    if (report.kind === "error") {
      logger.warn("checkpointer: checkpoint failed, retrying", { error: report.error });
      // Checkpoints that keep failing would let the WAL grow without bound: hand them back.
      if (++failuresInARow >= MAX_FAILURES_IN_A_ROW) fallBack(`${failuresInARow} checkpoints in a row failed: ${report.error}`);
    } else if (report.kind === "ok") {
      failuresInARow = 0;
    } else if (report.kind === "stopped") {
      stopped?.();
    }
  };
  worker.onerror = (event) => fallBack(event.message || "worker error");
  // A worker that ends without an error event (killed, out of memory) is just as gone.
  worker.addEventListener("close", () => {
    if (!stopping) fallBack("worker exited");
  });
  // The worker alone must not keep the process alive.
  (worker as Worker & { unref(): void }).unref();
  return {
    async stop() {
      stopping = true;
      if (!dead) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, STOP_TIMEOUT_MS);
          stopped = () => (clearTimeout(timer), resolve());
          send({ kind: "stop" });
        });
      }
      dead = true;
      worker.terminate();
      if (db.$client.open) db.$client.pragma(`wal_autocheckpoint = ${COMMIT_TIME_CHECKPOINT_PAGES}`);
    },
  };
}
