// Login sessions: an opaque random token is handed out once; only its SHA-256 is stored, with
// an expiry. A presented token is hashed and looked up, like API keys.
import type { SessionStore } from "../db/aggregates/users";
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

export async function createSession(sessions: SessionStore, userId: string, now = Date.now()): Promise<NewSession> {
  const token = SESSION_TOKEN_PREFIX + randomBase62(43); // ≈ 256 bits
  const expiresAt = now + SESSION_TTL_MS;
  await sessions.create({ id: crypto.randomUUID(), userId, tokenHash: sha256Hex(token), expiresAt, createdAt: now });
  return { token, expiresAt: iso(expiresAt) };
}

export interface SessionUser {
  sessionId: string;
  user: User;
}

/** The session's user when the token is known and not expired (and the user not disabled). */
export async function findSessionUser(sessions: SessionStore, token: string, now = Date.now()): Promise<SessionUser | undefined> {
  const found = await sessions.findUser(sha256Hex(token), now);
  return found ? { sessionId: found.sessionId, user: toUser(found.user) } : undefined;
}
