// Runs a long database task (task-worker.ts) on a worker thread and, while it runs, calls
// `onTick` a few times a second so a command can show progress on a terminal.
import type { DatabaseTask, DatabaseTaskReport } from "./task-worker";

const TICK_MS = 250;

export class DatabaseTaskFailed extends Error {}

/** See checkpointer.ts: in a compiled binary entry points keep their paths relative to src/. */
function workerUrl(): string {
  const compiled = import.meta.url.includes("$bunfs");
  return new URL(compiled ? "./db/task-worker.ts" : "./task-worker.ts", import.meta.url).href;
}

export async function runDatabaseTask(task: DatabaseTask, onTick?: () => void): Promise<void> {
  const worker = new Worker(workerUrl());
  const ticker = onTick ? setInterval(onTick, TICK_MS) : undefined;
  try {
    const report = await new Promise<DatabaseTaskReport>((resolve) => {
      worker.onmessage = (event: MessageEvent<DatabaseTaskReport>) => resolve(event.data);
      worker.onerror = (event) => resolve({ kind: "failed", error: event.message || "worker error" });
      worker.addEventListener("close", () => resolve({ kind: "failed", error: "the worker thread ended before the task" }));
      worker.postMessage(task);
    });
    if (report.kind === "failed") throw new DatabaseTaskFailed(report.error);
  } finally {
    clearInterval(ticker);
    worker.terminate();
  }
}
