// User lifecycle over the database: list, rename, disable, delete, reset a password, end
// sessions. Used by the /api/v1/users routes and the `users` CLI commands alike. Whatever takes
// access away (disable, delete, password reset) ends the user's sessions in the same
// transaction, so a token stops working with the very next request, on every process.
import type { UserRecord, UserStore } from "../db/aggregates/users";
import { BadRequest, invalidField, NotFound, type FieldError } from "../http/errors";
import { parsePage, toPagination } from "../http/pagination";
import type { Store } from "../db/store";
import { iso, randomBase62 } from "../ids";
import { hashPassword, normaliseEmail, passwordMatches, passwordProblem, toUser, type User } from "../auth/users";

export interface ManagedUser extends User {
  disabledAt: string | null;
}

export function toManagedUser(row: UserRecord): ManagedUser {
  return { ...toUser(row), disabledAt: row.disabledAt === null ? null : iso(row.disabledAt) };
}

export const USER_NOT_FOUND = "User not found";

/** Newest first, cursor pages like every list. */
export async function listUsers({ users, cursors }: Pick<Store, "users" | "cursors">, query: { limit?: string; cursor?: string }) {
  const { limit } = parsePage(query, cursors);
  const found = await users.list({ limit, cursor: query.cursor });
  return { data: found.rows.map(toManagedUser), pagination: toPagination(found.nextCursor) };
}

export async function getUser(users: UserStore, id: string): Promise<ManagedUser> {
  return toManagedUser(await userRow(users, id));
}

export async function findUserByEmail(users: UserStore, email: string): Promise<ManagedUser> {
  const row = await users.byEmail(normaliseEmail(email));
  if (!row) throw new NotFound(`No user with email ${normaliseEmail(email)}`);
  return toManagedUser(row);
}

async function userRow(users: UserStore, id: string) {
  const row = await users.get(id);
  if (!row) throw new NotFound(USER_NOT_FOUND);
  return row;
}

export interface UserChanges {
  name?: string | null;
  disabled?: boolean;
}

/** Renames and/or disables or enables; disabling ends every session at once. */
export async function updateUser(users: UserStore, id: string, changes: UserChanges): Promise<ManagedUser> {
  const problems: FieldError[] = [];
  const name = changes.name === undefined ? undefined : changes.name?.trim() || null;
  if (name && name.length > 200) problems.push({ field: "name", message: "Must be a string of at most 200 characters or null" });
  if (changes.name === undefined && changes.disabled === undefined) {
    problems.push({ field: "body", message: "Must contain name or disabled" });
  }
  if (problems.length > 0) throw new BadRequest(problems);
  const updated = await users.update(id, { ...(name !== undefined && { name }), ...(changes.disabled !== undefined && { disabled: changes.disabled }) }, Date.now());
  if (!updated) throw new NotFound(USER_NOT_FOUND);
  return toManagedUser(updated);
}

/** Deletes the user, their sessions and their traffic sources (with those sources' alert webhooks). */
export async function deleteUser(users: UserStore, id: string): Promise<void> {
  if (!(await users.delete(id))) throw new NotFound(USER_NOT_FOUND);
}

export interface PasswordReset {
  user: ManagedUser;
  /** Only when generated: shown once. */
  password?: string;
  sessionsEnded: number;
}

/** Sets a new password (the one given, or a generated one) and ends every session of the user. */
export async function resetPassword(users: UserStore, id: string, chosen: string | undefined): Promise<PasswordReset> {
  if (chosen !== undefined) {
    const rule = passwordProblem(chosen);
    if (rule) throw invalidField("password", rule);
  }
  await userRow(users, id); // 404 before the hashing work
  const password = chosen ?? randomBase62(24);
  const { user, sessionsEnded } = await setPasswordHash(users, id, await hashPassword(password));
  return chosen === undefined ? { user, password, sessionsEnded } : { user, sessionsEnded };
}

/** Stores a new hash and ends the user's sessions (all, or all but the caller's own). */
async function setPasswordHash(users: UserStore, id: string, passwordHash: string, keepSessionId?: string) {
  const changed = await users.setPasswordHash(id, passwordHash, Date.now(), keepSessionId);
  if (!changed) throw new NotFound(USER_NOT_FOUND);
  return { user: toManagedUser(changed.user), sessionsEnded: changed.sessionsEnded };
}

/** Ends every session of the user: their tokens stop working at once. */
export async function revokeSessions(users: UserStore, id: string): Promise<number> {
  const ended = await users.endSessions(id);
  if (ended === undefined) throw new NotFound(USER_NOT_FOUND);
  return ended;
}

/**
 * A signed-in user's own change: false when `currentPassword` is wrong. Ends every other
 * session of the user; `keepSessionId` (the caller's) stays.
 */
export async function changeOwnPassword(
  users: UserStore,
  userId: string,
  input: { currentPassword: string; newPassword: string },
  keepSessionId: string,
): Promise<boolean> {
  const rule = passwordProblem(input.newPassword);
  if (rule) throw invalidField("newPassword", rule);
  const row = await userRow(users, userId);
  if (!(await passwordMatches(input.currentPassword, row.passwordHash))) return false;
  await setPasswordHash(users, userId, await hashPassword(input.newPassword), keepSessionId);
  return true;
}
