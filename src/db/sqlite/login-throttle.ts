// Sign-in attempts on SQLite: the facts and the new pending attempt in one IMMEDIATE
// transaction, so two processes deciding at once see each other's attempts.
import { and, count, desc, eq, gt, lte, max, ne, sql } from "drizzle-orm";
import type { AttemptKey, LoginThrottleStore, ThrottleFacts, ThrottleQuery } from "../aggregates/login-throttle";
import type { Db } from "../client";
import { loginAttempts as a, loginKnownAddresses as k, users } from "../schema";

const p = sql.placeholder;
type BeginResult = { waitMs: number; attemptId?: undefined } | { waitMs: 0; attemptId: string };

function statements(db: Db) {
  return {
    // The `n`-th most recent attempt in a window (OFFSET n - 1): once it exists the limit is
    // reached, and it leaves the window (freeing a place) at its time + the window.
    nthByAddress: db
      .select({ at: a.at })
      .from(a)
      .where(and(eq(a.address, p("address")), gt(a.at, p("since"))))
      .orderBy(desc(a.at))
      .limit(1)
      .offset(p("offset"))
      .prepare(),
    nthFailureByPair: db
      .select({ at: a.at })
      .from(a)
      .where(and(eq(a.email, p("email")), eq(a.address, p("address")), gt(a.at, p("since")), ne(a.outcome, "succeeded")))
      .orderBy(desc(a.at))
      .limit(1)
      .offset(p("offset"))
      .prepare(),
    accountFailures: db
      .select({ n: count(), last: max(a.at) })
      .from(a)
      .where(and(eq(a.email, p("email")), gt(a.at, p("since")), ne(a.outcome, "succeeded")))
      .prepare(),
    knownAddress: db
      .select({ one: sql<number>`1` })
      .from(k)
      .innerJoin(users, eq(users.id, k.userId))
      .where(and(eq(users.email, p("email")), eq(k.address, p("address")), gt(k.lastSuccessAt, p("since"))))
      .prepare(),
    insert: db
      .insert(a)
      .values({ email: p("email"), address: p("address"), outcome: "pending", at: p("at") })
      .returning({ id: a.id })
      .prepare(),
    outcome: db
      .update(a)
      .set({ outcome: sql`${p("outcome")}` })
      .where(eq(a.id, p("id")))
      .prepare(),
    remember: db
      .insert(k)
      .values({ userId: p("userId"), address: p("address"), lastSuccessAt: p("at") })
      .onConflictDoUpdate({ target: [k.userId, k.address], set: { lastSuccessAt: sql`excluded.${sql.identifier(k.lastSuccessAt.name)}` } })
      .prepare(),
    prune: db.delete(a).where(lte(a.at, p("until"))).prepare(),
    pruneKnown: db.delete(k).where(lte(k.lastSuccessAt, p("until"))).prepare(),
  };
}

export class SqliteLoginThrottleStore implements LoginThrottleStore {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = statements(db);
  }

  async begin(key: AttemptKey, q: ThrottleQuery, now: number, waitMs: (facts: ThrottleFacts) => number): Promise<BeginResult> {
    return this.db.transaction(
      (): BeginResult => {
        const wait = waitMs(this.facts(key, q));
        if (wait > 0) return { waitMs: wait };
        const [row] = this.s.insert.all({ email: key.email, address: key.address, at: now });
        return { waitMs: 0, attemptId: String(row!.id) };
      },
      { behavior: "immediate" },
    );
  }

  private facts(key: AttemptKey, q: ThrottleQuery): ThrottleFacts {
    const { email, address } = key;
    const failures = this.s.accountFailures.get({ email, since: q.accountSince });
    return {
      addressNth: this.s.nthByAddress.get({ address, since: q.addressSince, offset: q.addressMax - 1 })?.at,
      pairNth: this.s.nthFailureByPair.get({ email, address, since: q.pairSince, offset: q.pairMax - 1 })?.at,
      accountFailures: failures?.n ?? 0,
      lastAccountFailure: failures?.last ?? null,
      knownAddress: this.s.knownAddress.get({ email, address, since: q.knownSince }) !== undefined,
    };
  }

  async succeeded(attemptId: string, userId: string, address: string, now: number): Promise<void> {
    this.db.transaction(() => {
      this.s.outcome.run({ id: Number(attemptId), outcome: "succeeded" });
      this.s.remember.run({ userId, address, at: now });
    });
  }

  async failed(attemptId: string): Promise<void> {
    this.s.outcome.run({ id: Number(attemptId), outcome: "failed" });
  }

  async prune(attemptsUntil: number, knownUntil: number): Promise<void> {
    this.s.prune.run({ until: attemptsUntil });
    this.s.pruneKnown.run({ until: knownUntil });
  }
}
