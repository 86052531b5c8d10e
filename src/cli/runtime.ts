// What a command needs before it touches the database.
import { accessSync, constants, statSync } from "node:fs";
import { tmpdir } from "node:os";
import type { Config } from "../config";
import { ConfigError } from "../config";
import { withCommandStore } from "../db/open";
import type { Store } from "../db/store";

/**
 * The compiled binary unpacks the SQLite driver (a native module) into the temp dir before
 * loading it; without a writable one the first database open fails with an opaque dlopen error.
 */
export function checkTempDir(): void {
  if (!Bun.isStandaloneExecutable) return;
  const dir = tmpdir();
  try {
    if (!statSync(dir).isDirectory()) throw new Error("not a directory");
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw new ConfigError(`TMPDIR must be a writable directory (the SQLite driver is unpacked there at start-up), got "${dir}"`);
  }
}

/**
 * Runs a command against the configured database, its schema brought up to date as every
 * start-up does, and closes it after.
 */
export async function withStore<T>(config: Config, run: (store: Store) => Promise<T>): Promise<T> {
  checkTempDir();
  return withCommandStore(config, run);
}
