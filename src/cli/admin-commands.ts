// One-shot commands against the database file: they run while `serve` runs too (SQLite WAL
// lets them write beside it), print their result and exit.
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createUser } from "../auth/users";
import type { Config } from "../config";
import { closeDatabase, openDatabase } from "../db/client";
import { randomBase62 } from "../ids";
import { UsageError } from "./args";
import { checkTempDir, openMigratedDatabase } from "./runtime";

export class CommandFailed extends Error {}

export function migrateCommand(config: Config): void {
  const db = openMigratedDatabase(config);
  try {
    const applied = db.$client.prepare("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number };
    process.stderr.write(`Database ${config.databasePath} is up to date (${applied.n} migrations applied).\n`);
  } finally {
    closeDatabase(db);
  }
}

export async function createUserCommand(
  config: Config,
  input: { email: string; name: string | undefined; passwordFromStdin: boolean },
): Promise<void> {
  let password: string;
  const generated = !input.passwordFromStdin;
  if (input.passwordFromStdin) {
    // One trailing newline is what `echo` and here-strings add; it is not part of the password.
    password = (await Bun.stdin.text()).replace(/\r?\n$/, "");
    if (password === "") throw new UsageError("--password-stdin: no password on standard input");
  } else {
    password = randomBase62(24);
  }
  const db = openMigratedDatabase(config);
  try {
    const user = await createUser(db, { email: input.email, password, name: input.name });
    if (generated) process.stdout.write(`${password}\n`);
    process.stderr.write(
      `Created user ${user.id} (${user.email}).${generated ? " The password above was generated and is shown only now." : ""}\n`,
    );
  } finally {
    closeDatabase(db);
  }
}

/**
 * A consistent copy of the live database with VACUUM INTO: it reads one snapshot, so it is
 * safe while `serve` keeps writing, and the copy is compact and needs no -wal file beside it.
 */
export function backupCommand(config: Config, target: string): void {
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
  const db = openDatabase(config.databasePath);
  try {
    db.$client.prepare("VACUUM INTO ?").run(out);
  } finally {
    closeDatabase(db);
  }
  process.stderr.write(`Backed up ${config.databasePath} to ${out} (${statSync(out).size} bytes).\n`);
}

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
