// The `users` commands: create, list, disable/enable, reset-password. They call the same
// services as the /api/v1/users routes, on the database file, beside a running server or not.
import { createUser } from "../auth/users";
import type { Config } from "../config";
import type { UserStore } from "../db/aggregates/users";
import { randomBase62 } from "../ids";
import { findUserByEmail, listUsers, resetPassword, updateUser, type ManagedUser } from "../users/service";
import { UsageError } from "./args";
import { withStore } from "./runtime";

const withUsers = <T>(config: Config, run: (users: UserStore) => Promise<T>) => withStore(config, (store) => run(store.users));

/** One trailing newline is what `echo` and here-strings add; it is not part of the password. */
async function passwordFromStdin(): Promise<string> {
  const password = (await Bun.stdin.text()).replace(/\r?\n$/, "");
  if (password === "") throw new UsageError("--password-stdin: no password on standard input");
  return password;
}

export async function createUserCommand(
  config: Config,
  input: { email: string; name: string | undefined; passwordFromStdin: boolean },
): Promise<void> {
  const generated = !input.passwordFromStdin;
  const password = input.passwordFromStdin ? await passwordFromStdin() : randomBase62(24);
  const user = await withUsers(config, (users) => createUser(users, { email: input.email, password, name: input.name }));
  if (generated) process.stdout.write(`${password}\n`);
  process.stderr.write(
    `Created user ${user.id} (${user.email}).${generated ? " The password above was generated and is shown only now." : ""}\n`,
  );
}

/** Every user, newest first, one line each under a header: ID, EMAIL, STATUS, CREATED, NAME. */
export async function listUsersCommand(config: Config): Promise<void> {
  const all = await withStore(config, async (store) => {
    const found: ManagedUser[] = [];
    let cursor: string | undefined;
    do {
      const { data, pagination } = await listUsers(store, { limit: "100", cursor });
      found.push(...data);
      cursor = pagination.next_cursor ?? undefined;
    } while (cursor);
    return found;
  });
  const rows = [
    ["ID", "EMAIL", "STATUS", "CREATED", "NAME"],
    ...all.map((u) => [u.id, u.email, u.disabledAt ? "disabled" : "active", u.createdAt, u.name ?? ""]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ").trimEnd());
  process.stdout.write(`${lines.join("\n")}\n`);
  if (all.length === 0) process.stderr.write("No users yet: create one with hookrelay users create --email EMAIL.\n");
}

/** Disables (ending every session at once) or enables the user with that email. */
export async function setUserDisabledCommand(config: Config, email: string, disabled: boolean): Promise<void> {
  const user = await withUsers(config, async (users) => updateUser(users, (await findUserByEmail(users, email)).id, { disabled }));
  process.stderr.write(
    disabled
      ? `Disabled user ${user.id} (${user.email}): they cannot sign in, and their sessions have ended.\n`
      : `Enabled user ${user.id} (${user.email}): they can sign in again.\n`,
  );
}

/** Sets a new password (read from stdin, or generated and printed once) and ends every session. */
export async function resetPasswordCommand(config: Config, email: string, fromStdin: boolean): Promise<void> {
  const chosen = fromStdin ? await passwordFromStdin() : undefined;
  const reset = await withUsers(config, async (users) => resetPassword(users, (await findUserByEmail(users, email)).id, chosen));
  if (reset.password) process.stdout.write(`${reset.password}\n`);
  process.stderr.write(
    `Reset the password of ${reset.user.id} (${reset.user.email}); ${reset.sessionsEnded} session(s) ended.` +
      `${reset.password ? " The password above was generated and is shown only now." : ""}\n`,
  );
}
