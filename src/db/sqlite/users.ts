// Users and sessions on SQLite. Taking access away and ending the sessions is one transaction.
import { and, desc, eq, gt, isNull, lte, ne, sql } from "drizzle-orm";
import type { Page, PageRequest } from "../aggregates/page";
import type { NewSessionRecord, SessionStore, UserChanges, UserCredentials, UserRecord, UserStore } from "../aggregates/users";
import { isUniqueViolation } from "../constraint";
import type { Db } from "../client";
import { sessions, users } from "../schema";
import { pageOf, rowIdOfCursor } from "./rowid-page";

const p = sql.placeholder;
const rowId = sql<number>`${users}.rowid`;

type UserRow = typeof users.$inferSelect;

function toRecord(row: UserRow): UserRecord {
  const { passwordHash: _, ...user } = row;
  return user;
}

function userStatements(db: Db) {
  return {
    byId: db.select().from(users).where(eq(users.id, p("id"))).prepare(),
    byEmail: db.select().from(users).where(eq(users.email, p("email"))).prepare(),
    insert: db
      .insert(users)
      .values({
        id: p("id"),
        email: p("email"),
        name: p("name"),
        passwordHash: p("passwordHash"),
        createdAt: p("createdAt"),
        updatedAt: p("updatedAt"),
        disabledAt: p("disabledAt"),
      })
      .prepare(),
    list: db
      .select({ rowId, row: users })
      .from(users)
      .where(sql`${p("before")} IS NULL OR ${rowId} < ${p("before")}`)
      .orderBy(desc(rowId))
      .limit(p("limit"))
      .prepare(),
    update: db
      .update(users)
      .set({ name: sql`${p("name")}`, disabledAt: sql`${p("disabledAt")}`, updatedAt: sql`${p("now")}` })
      .where(eq(users.id, p("id")))
      .returning()
      .prepare(),
    setPassword: db
      .update(users)
      .set({ passwordHash: sql`${p("passwordHash")}`, updatedAt: sql`${p("now")}` })
      .where(eq(users.id, p("id")))
      .returning()
      .prepare(),
    delete: db.delete(users).where(eq(users.id, p("id"))).prepare(),
    endSessions: db.delete(sessions).where(eq(sessions.userId, p("userId"))).prepare(),
    endOtherSessions: db
      .delete(sessions)
      .where(and(eq(sessions.userId, p("userId")), ne(sessions.id, p("keep"))))
      .prepare(),
  };
}

export class SqliteUserStore implements UserStore {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = userStatements(db);
  }

  async create(user: UserCredentials): Promise<UserRecord | undefined> {
    try {
      this.s.insert.run({ ...user });
    } catch (e) {
      if (isUniqueViolation(e)) return undefined;
      throw e;
    }
    return toRecord(this.s.byId.get({ id: user.id })!);
  }

  async get(id: string): Promise<UserCredentials | undefined> {
    return this.s.byId.get({ id });
  }

  async byEmail(email: string): Promise<UserCredentials | undefined> {
    return this.s.byEmail.get({ email });
  }

  async list(page: PageRequest): Promise<Page<UserRecord>> {
    const rows = this.s.list.all({ before: rowIdOfCursor(page.cursor), limit: page.limit + 1 });
    return pageOf(rows, page.limit, (r) => toRecord(r.row));
  }

  async update(id: string, changes: UserChanges, now: number): Promise<UserRecord | undefined> {
    return this.db.transaction(
      () => {
        const row = this.s.byId.get({ id });
        if (!row) return undefined;
        const disabledAt = changes.disabled === undefined ? row.disabledAt : changes.disabled ? (row.disabledAt ?? now) : null;
        const name = changes.name === undefined ? row.name : changes.name;
        const [updated] = this.s.update.all({ id, name, disabledAt, now });
        if (disabledAt !== null) this.s.endSessions.run({ userId: id });
        return toRecord(updated!);
      },
      { behavior: "immediate" },
    );
  }

  async delete(id: string): Promise<boolean> {
    // Sessions, traffic sources and their alert webhooks cascade.
    return this.s.delete.run({ id }).changes > 0;
  }

  async setPasswordHash(id: string, passwordHash: string, now: number, keepSessionId?: string) {
    return this.db.transaction(
      () => {
        const [row] = this.s.setPassword.all({ id, passwordHash, now });
        if (!row) return undefined;
        return { user: toRecord(row), sessionsEnded: this.endSessionsOf(id, keepSessionId) };
      },
      { behavior: "immediate" },
    );
  }

  async endSessions(id: string): Promise<number | undefined> {
    return this.db.transaction(
      () => (this.s.byId.get({ id }) ? this.endSessionsOf(id) : undefined),
      { behavior: "immediate" },
    );
  }

  private endSessionsOf(userId: string, keep?: string): number {
    return keep === undefined ? this.s.endSessions.run({ userId }).changes : this.s.endOtherSessions.run({ userId, keep }).changes;
  }
}

export class SqliteSessionStore implements SessionStore {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      dropExpired: db.delete(sessions).where(lte(sessions.expiresAt, p("now"))).prepare(),
      insert: db
        .insert(sessions)
        .values({ id: p("id"), userId: p("userId"), tokenHash: p("tokenHash"), expiresAt: p("expiresAt"), createdAt: p("createdAt") })
        .prepare(),
      findUser: db
        .select({ sessionId: sessions.id, user: users })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        // A disabled user's sessions are deleted when they are disabled; checked here too.
        .where(and(eq(sessions.tokenHash, p("tokenHash")), gt(sessions.expiresAt, p("now")), isNull(users.disabledAt)))
        .prepare(),
      delete: db.delete(sessions).where(eq(sessions.id, p("id"))).prepare(),
    };
  }

  async create(session: NewSessionRecord): Promise<void> {
    // A scan without an index: trivial next to the argon2 work every login already costs.
    this.db.transaction(() => {
      this.s.dropExpired.run({ now: session.createdAt });
      this.s.insert.run({ ...session });
    });
  }

  async findUser(tokenHash: string, now: number) {
    const row = this.s.findUser.get({ tokenHash, now });
    return row && { sessionId: row.sessionId, user: toRecord(row.user) };
  }

  async delete(sessionId: string): Promise<void> {
    this.s.delete.run({ id: sessionId });
  }
}
