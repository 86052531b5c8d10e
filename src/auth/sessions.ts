// Login sessions: an opaque random token is handed out once; only its SHA-256 is stored, with
// an expiry. A presented token is hashed and looked up, like API keys.
import { and, eq, gt, isNull, lte, ne } from "drizzle-orm";
import type { Db } from "../db/client";
import { sessions, users } from "../db/schema";
import { iso, randomBase62 } from "../ids";
import { sha256Hex } from "./api-keys";
import { toUser, type User } from "./users";

/** Sessions last 24 hours; after that the user signs in again. */
export const SESSION_TTL_MS = 24 * 60 * 60 * 1000;
export const SESSION_TOKEN_PREFIX = "hrs_";

export interface NewSession {
  /** Shown once, in the login response. */
  token: string;
  expiresAt: string;
}

export function createSession(db: Db, userId: string, now = Date.now()): NewSession {
  const token = SESSION_TOKEN_PREFIX + randomBase62(43); // ≈ 256 bits
  const expiresAt = now + SESSION_TTL_MS;
  // Expired sessions are dropped at each login, so the table holds about a day of logins.
  // (A scan without an index: trivial next to the argon2 work every login already costs.)
  db.delete(sessions).where(lte(sessions.expiresAt, now)).run();
  db.insert(sessions).values({ id: crypto.randomUUID(), userId, tokenHash: sha256Hex(token), expiresAt, createdAt: now }).run();
  return { token, expiresAt: iso(expiresAt) };
}

export interface SessionUser {
  sessionId: string;
  user: User;
}

/** The session's user when the token is known and not expired. */
export function findSessionUser(db: Db, token: string, now = Date.now()): SessionUser | undefined {
  const row = db
    .select({ sessionId: sessions.id, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    // A disabled user's sessions are deleted when they are disabled; checked here too.
    .where(and(eq(sessions.tokenHash, sha256Hex(token)), gt(sessions.expiresAt, now), isNull(users.disabledAt)))
    .get();
  return row ? { sessionId: row.sessionId, user: toUser(row.user) } : undefined;
}

export function deleteSession(db: Db, sessionId: string): void {
  db.delete(sessions).where(eq(sessions.id, sessionId)).run();
}

/** Ends every session of a user (or every one but `exceptSessionId`): their tokens stop working at once. */
export function deleteUserSessions(db: Db, userId: string, exceptSessionId?: string): number {
  const mine = eq(sessions.userId, userId);
  return db
    .delete(sessions)
    .where(exceptSessionId === undefined ? mine : and(mine, ne(sessions.id, exceptSessionId)))
    .run().changes;
}
