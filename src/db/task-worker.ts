// A worker thread for one long database task of a one-shot command (`backup`'s VACUUM INTO,
// `migrate`): SQLite runs it synchronously, so on the main thread nothing could report
// progress until it ended. See task-runner.ts.
import Database from "better-sqlite3";
import { openDatabase, closeDatabase } from "./client";
import { migrateDatabase } from "./migrate";

declare const self: Worker;

export type DatabaseTask =
  | { kind: "vacuum-into"; path: string; target: string }
  | { kind: "migrate"; path: string; migrationsFolder: string };

export type DatabaseTaskReport = { kind: "done" } | { kind: "failed"; error: string };

function run(task: DatabaseTask): void {
  if (task.kind === "vacuum-into") {
    const db = new Database(task.path, { fileMustExist: true });
    try {
      db.pragma("busy_timeout = 5000");
      db.prepare("VACUUM INTO ?").run(task.target);
    } finally {
      db.close();
    }
    return;
  }
  const db = openDatabase(task.path);
  try {
    migrateDatabase(db, task.migrationsFolder);
  } finally {
    closeDatabase(db);
  }
}

self.onmessage = (event: MessageEvent<DatabaseTask>) => {
  let report: DatabaseTaskReport;
  try {
    run(event.data);
    report = { kind: "done" };
  } catch (e) {
    report = { kind: "failed", error: e instanceof Error ? e.message : String(e) };
  }
  self.postMessage(report);
};
