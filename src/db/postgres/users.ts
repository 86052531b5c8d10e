// Users and sessions on PostgreSQL, as ../sqlite/users.ts: taking access away and ending the
// sessions is one transaction, and the row changed is locked first, so two nodes changing the
// same user at once apply one change after the other. The lock is FOR NO KEY UPDATE, what the
// UPDATE itself takes: a session being created (its foreign key check holds the user FOR KEY
// SHARE while it may hold expired sessions it is dropping) never waits for it, so the two cannot
// wait for each other in a circle. A session made meanwhile for a user just disabled is refused
// by findUser all the same.
import { and, desc, eq, gt, isNull, lte, ne, sql } from "drizzle-orm";
import type { BunSQLDatabase } from "drizzle-orm/bun-sql";
import type { Page, PageRequest } from "../aggregates/page";
import type { NewSessionRecord, SessionStore, UserChanges, UserCredentials, UserRecord, UserStore } from "../aggregates/users";
import { beforeCursor, keysetPage } from "./keyset-page";
import { sessions, users } from "./schema";

type UserRow = typeof users.$inferSelect;
type Tx = Parameters<Parameters<BunSQLDatabase["transaction"]>[0]>[0];

function toRecord(row: UserRow): UserRecord {
  const { passwordHash: _, ...user } = row;
  return user;
}

export class PostgresUserStore implements UserStore {
  private readonly s;

  constructor(private readonly db: BunSQLDatabase) {
    const p = sql.placeholder;
    this.s = {
      byId: db.select().from(users).where(eq(users.id, p("id"))).prepare("user_by_id"),
      byEmail: db.select().from(users).where(eq(users.email, p("email"))).prepare("user_by_email"),
    };
  }

  async create(user: UserCredentials): Promise<UserRecord | undefined> {
    // Every unique index (the email, the id): taken is an answer, not an error.
    const [row] = await this.db.insert(users).values(user).onConflictDoNothing().returning();
    return row && toRecord(row);
  }

  async get(id: string): Promise<UserCredentials | undefined> {
    return (await this.s.byId.execute({ id }))[0];
  }

  async byEmail(email: string): Promise<UserCredentials | undefined> {
    return (await this.s.byEmail.execute({ email }))[0];
  }

  async list(page: PageRequest): Promise<Page<UserRecord>> {
    const rows = await this.db
      .select()
      .from(users)
      .where(beforeCursor(users.createdAt, users.id, page.cursor))
      .orderBy(desc(users.createdAt), desc(users.id))
      .limit(page.limit + 1);
    const { rows: pageRows, nextCursor } = keysetPage(rows, page.limit);
    return { rows: pageRows.map(toRecord), nextCursor };
  }

  async update(id: string, changes: UserChanges, now: number): Promise<UserRecord | undefined> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.select().from(users).where(eq(users.id, id)).for("no key update");
      if (!row) return undefined;
      const disabledAt = changes.disabled === undefined ? row.disabledAt : changes.disabled ? (row.disabledAt ?? now) : null;
      const name = changes.name === undefined ? row.name : changes.name;
      const [updated] = await tx.update(users).set({ name, disabledAt, updatedAt: now }).where(eq(users.id, id)).returning();
      if (disabledAt !== null) await tx.delete(sessions).where(eq(sessions.userId, id));
      return toRecord(updated!);
    });
  }

  async delete(id: string): Promise<boolean> {
    // Sessions, traffic sources and their alert webhooks cascade.
    return (await this.db.delete(users).where(eq(users.id, id)).returning({ id: users.id })).length > 0;
  }

  async setPasswordHash(id: string, passwordHash: string, now: number, keepSessionId?: string) {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.update(users).set({ passwordHash, updatedAt: now }).where(eq(users.id, id)).returning();
      if (!row) return undefined;
      return { user: toRecord(row), sessionsEnded: await endSessionsOf(tx, id, keepSessionId) };
    });
  }

  async endSessions(id: string): Promise<number | undefined> {
    return this.db.transaction(async (tx) => {
      // Locked like an update of the user: a concurrent disable or new password waits, or is waited for.
      const [row] = await tx.select({ id: users.id }).from(users).where(eq(users.id, id)).for("no key update");
      return row ? endSessionsOf(tx, id) : undefined;
    });
  }
}

async function endSessionsOf(tx: Tx, userId: string, keep?: string): Promise<number> {
  const mine = eq(sessions.userId, userId);
  const ended = await tx
    .delete(sessions)
    .where(keep === undefined ? mine : and(mine, ne(sessions.id, keep)))
    .returning({ id: sessions.id });
  return ended.length;
}

export class PostgresSessionStore implements SessionStore {
  private readonly s;

  constructor(private readonly db: BunSQLDatabase) {
    const p = sql.placeholder;
    this.s = {
      findUser: db
        .select({ sessionId: sessions.id, user: users })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        // A disabled user's sessions are deleted when they are disabled; checked here too.
        .where(and(eq(sessions.tokenHash, p("tokenHash")), gt(sessions.expiresAt, p("now")), isNull(users.disabledAt)))
        .prepare("session_find_user"),
      delete: db.delete(sessions).where(eq(sessions.id, p("id"))).prepare("session_delete"),
    };
  }

  async create(session: NewSessionRecord): Promise<void> {
    // A scan without an index, as on SQLite: trivial next to the argon2 work every login costs.
    await this.db.transaction(async (tx) => {
      await tx.delete(sessions).where(lte(sessions.expiresAt, session.createdAt));
      await tx.insert(sessions).values(session);
    });
  }

  async findUser(tokenHash: string, now: number) {
    const [row] = await this.s.findUser.execute({ tokenHash, now });
    return row && { sessionId: row.sessionId, user: toRecord(row.user) };
  }

  async delete(sessionId: string): Promise<void> {
    await this.s.delete.execute({ id: sessionId });
  }
}
