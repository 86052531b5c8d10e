// User lifecycle over the database: list, rename, disable, delete, reset a password, end
// sessions. Used by the /api/v1/users routes and the `users` CLI commands alike. Whatever takes
// access away (disable, delete, password reset) ends the user's sessions in the same
// transaction, so a token stops working with the very next request, on every process.
import { desc, eq, lt, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { users } from "../db/schema";
import { BadRequest, invalidField, NotFound, type FieldError } from "../http/errors";
import { parsePage, toPage } from "../http/pagination";
import { iso, randomBase62 } from "../ids";
import { hashPassword, normaliseEmail, passwordMatches, passwordProblem, toUser, type User } from "../auth/users";
import { deleteUserSessions } from "../auth/sessions";

export interface ManagedUser extends User {
  disabledAt: string | null;
}

type UserRow = typeof users.$inferSelect;

export function toManagedUser(row: UserRow): ManagedUser {
  return { ...toUser(row), disabledAt: row.disabledAt === null ? null : iso(row.disabledAt) };
}

export const USER_NOT_FOUND = "User not found";

const sqlRowId = sql<number>`${users}.rowid`;

/** Newest first (by rowid: insertion order), cursor pages like every list. */
export function listUsers(db: Db, query: { limit?: string; cursor?: string }) {
  const { limit, beforeRowId } = parsePage(query);
  const rows = db
    .select({ row: users, rowId: sqlRowId })
    .from(users)
    .where(beforeRowId === undefined ? undefined : lt(sqlRowId, beforeRowId))
    .orderBy(desc(sqlRowId))
    .limit(limit + 1)
    .all();
  const { rows: pageRows, pagination } = toPage(rows, limit);
  return { data: pageRows.map((r) => toManagedUser(r.row)), pagination };
}

export function getUser(db: Db, id: string): ManagedUser {
  return toManagedUser(userRow(db, id));
}

export function findUserByEmail(db: Db, email: string): ManagedUser {
  const row = db.select().from(users).where(eq(users.email, normaliseEmail(email))).get();
  if (!row) throw new NotFound(`No user with email ${normaliseEmail(email)}`);
  return toManagedUser(row);
}

function userRow(db: Db, id: string): UserRow {
  const row = db.select().from(users).where(eq(users.id, id)).get();
  if (!row) throw new NotFound(USER_NOT_FOUND);
  return row;
}

export interface UserChanges {
  name?: string | null;
  disabled?: boolean;
}

/** Renames and/or disables or enables; disabling ends every session at once. */
export function updateUser(db: Db, id: string, changes: UserChanges): ManagedUser {
  const problems: FieldError[] = [];
  const name = changes.name === undefined ? undefined : changes.name?.trim() || null;
  if (name && name.length > 200) problems.push({ field: "name", message: "Must be a string of at most 200 characters or null" });
  if (changes.name === undefined && changes.disabled === undefined) {
    problems.push({ field: "body", message: "Must contain name or disabled" });
  }
  if (problems.length > 0) throw new BadRequest(problems);
  return db.transaction(
    () => {
      const row = userRow(db, id);
      const now = Date.now();
      const disabledAt = changes.disabled === undefined ? row.disabledAt : changes.disabled ? (row.disabledAt ?? now) : null;
      const updated = db
        .update(users)
        .set({ name: name === undefined ? row.name : name, disabledAt, updatedAt: now })
        .where(eq(users.id, id))
        .returning()
        .get()!;
      if (disabledAt !== null) deleteUserSessions(db, id);
      return toManagedUser(updated);
    },
    { behavior: "immediate" },
  );
}

/** Deletes the user, their sessions and their traffic sources (with those sources' alert webhooks). */
export function deleteUser(db: Db, id: string): void {
  const changes = db.delete(users).where(eq(users.id, id)).run().changes;
  if (changes === 0) throw new NotFound(USER_NOT_FOUND);
}

export interface PasswordReset {
  user: ManagedUser;
  /** Only when generated: shown once. */
  password?: string;
  sessionsEnded: number;
}

/** Sets a new password (the one given, or a generated one) and ends every session of the user. */
export async function resetPassword(db: Db, id: string, chosen: string | undefined): Promise<PasswordReset> {
  if (chosen !== undefined) {
    const rule = passwordProblem(chosen);
    if (rule) throw invalidField("password", rule);
  }
  userRow(db, id); // 404 before the hashing work
  const password = chosen ?? randomBase62(24);
  const passwordHash = await hashPassword(password);
  const { user, sessionsEnded } = setPasswordHash(db, id, passwordHash);
  return chosen === undefined ? { user, password, sessionsEnded } : { user, sessionsEnded };
}

/** Stores a new hash and ends the user's sessions (all, or all but the caller's own). */
export function setPasswordHash(db: Db, id: string, passwordHash: string, keepSessionId?: string) {
  return db.transaction(
    () => {
      const row = db.update(users).set({ passwordHash, updatedAt: Date.now() }).where(eq(users.id, id)).returning().get();
      if (!row) throw new NotFound(USER_NOT_FOUND);
      return { user: toManagedUser(row), sessionsEnded: deleteUserSessions(db, id, keepSessionId) };
    },
    { behavior: "immediate" },
  );
}

/** Ends every session of the user: their tokens stop working at once. */
export function revokeSessions(db: Db, id: string): number {
  return db.transaction(
    () => {
      userRow(db, id);
      return deleteUserSessions(db, id);
    },
    { behavior: "immediate" },
  );
}

/**
 * A signed-in user's own change: false when `currentPassword` is wrong. Ends every other
 * session of the user; `keepSessionId` (the caller's) stays.
 */
export async function changeOwnPassword(
  db: Db,
  userId: string,
  input: { currentPassword: string; newPassword: string },
  keepSessionId: string,
): Promise<boolean> {
  const rule = passwordProblem(input.newPassword);
  if (rule) throw invalidField("newPassword", rule);
  const row = userRow(db, userId);
  if (!(await passwordMatches(input.currentPassword, row.passwordHash))) return false;
  setPasswordHash(db, userId, await hashPassword(input.newPassword), keepSessionId);
  return true;
}
