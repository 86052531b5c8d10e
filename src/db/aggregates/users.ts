// Users of the session surface and their sessions. Whatever takes access away (disable, delete,
// a new password) ends the user's sessions in the same transaction, so on every process a token
// stops working with its very next request.
import type { Page, PageRequest } from "./page";

export interface UserRecord {
  id: string;
  /** Lower-cased by the caller. */
  email: string;
  name: string | null;
  createdAt: number;
  updatedAt: number;
  disabledAt: number | null;
}

export interface UserCredentials extends UserRecord {
  passwordHash: string;
}

export interface UserChanges {
  /** Absent: unchanged. */
  name?: string | null;
  /** Absent: unchanged. Disabling keeps the first time and ends every session. */
  disabled?: boolean;
}

export interface UserStore {
  /** Undefined when the email is taken. */
  create(user: UserCredentials): Promise<UserRecord | undefined>;
  get(id: string): Promise<UserCredentials | undefined>;
  byEmail(email: string): Promise<UserCredentials | undefined>;
  /** Newest first. */
  list(page: PageRequest): Promise<Page<UserRecord>>;
  update(id: string, changes: UserChanges, now: number): Promise<UserRecord | undefined>;
  /** Deletes the user with their sessions and traffic sources; false when there was none. */
  delete(id: string): Promise<boolean>;
  /** Stores a new hash and ends the user's sessions (all, or all but `keepSessionId`). */
  setPasswordHash(
    id: string,
    passwordHash: string,
    now: number,
    keepSessionId?: string,
  ): Promise<{ user: UserRecord; sessionsEnded: number } | undefined>;
  /** Ends every session of the user; undefined when there is no such user. */
  endSessions(id: string): Promise<number | undefined>;
}

export interface NewSessionRecord {
  id: string;
  userId: string;
  /** SHA-256 of the token, hex. */
  tokenHash: string;
  expiresAt: number;
  createdAt: number;
}

export interface SessionStore {
  /** Stores the session, dropping expired ones, so the table holds about a day of logins. */
  create(session: NewSessionRecord): Promise<void>;
  /** The session and its user when the token is known, unexpired, and the user not disabled. */
  findUser(tokenHash: string, now: number): Promise<{ sessionId: string; user: UserRecord } | undefined>;
  delete(sessionId: string): Promise<void>;
}
