// Sign-in attempts on PostgreSQL, shared by every node. SQLite serialises `begin` with its write
// lock; here two transaction-level advisory locks do it, one on the email and one on the address
// (the facts of an attempt are counts by address, by email, and by both), so concurrent attempts
// that could change each other's facts run one after the other, on any node, while attempts on
// other accounts from other addresses do not wait. Every transaction takes the email's lock
// before the address's, so two of them never wait for each other in a circle.
import type { SQL as BunSQL } from "bun";
import { sql } from "drizzle-orm";
import type { AttemptKey, LoginThrottleStore, ThrottleFacts, ThrottleQuery } from "../aggregates/login-throttle";
import { loginAttempts as a, loginKnownAddresses as k, users } from "./schema";
import { bare, compile, int8, int8OrNull, param } from "./sql";

type BeginResult = { waitMs: number; attemptId?: undefined } | { waitMs: 0; attemptId: string };

/**
 * The first key of each two-key advisory lock: which kind of value the second key (its hash)
 * stands for. Two-key locks never conflict with the one-key locks of retention and start-up.
 */
const EMAIL_LOCK = sql.raw("1819231077");
const ADDRESS_LOCK = sql.raw("1819231078");

interface FactsRow {
  address_nth: string | number | null;
  pair_nth: string | number | null;
  account_failures: string | number;
  last_account_failure: string | number | null;
  known_address: boolean;
}

function statements() {
  const failure = sql`${a.outcome} <> 'succeeded'`;
  return {
    lock: compile(sql`SELECT pg_advisory_xact_lock(${EMAIL_LOCK}, hashtext(${param("email")})), pg_advisory_xact_lock(${ADDRESS_LOCK}, hashtext(${param("address")}))`),
    // The `n`-th most recent attempt in a window (OFFSET n - 1): once it exists the limit is
    // reached, and it leaves the window (freeing a place) at its time + the window.
    facts: compile<FactsRow>(sql`
      SELECT
        (SELECT ${a.at} FROM ${a} WHERE ${a.address} = ${param("address")} AND ${a.at} > ${param("addressSince")}::int8
          ORDER BY ${a.at} DESC LIMIT 1 OFFSET ${param("addressOffset")}::int8) AS address_nth,
        (SELECT ${a.at} FROM ${a} WHERE ${a.email} = ${param("email")} AND ${a.address} = ${param("address")} AND ${a.at} > ${param("pairSince")}::int8 AND ${failure}
          ORDER BY ${a.at} DESC LIMIT 1 OFFSET ${param("pairOffset")}::int8) AS pair_nth,
        (SELECT count(*) FROM ${a} WHERE ${a.email} = ${param("email")} AND ${a.at} > ${param("accountSince")}::int8 AND ${failure}) AS account_failures,
        (SELECT max(${a.at}) FROM ${a} WHERE ${a.email} = ${param("email")} AND ${a.at} > ${param("accountSince")}::int8 AND ${failure}) AS last_account_failure,
        EXISTS (SELECT 1 FROM ${k} JOIN ${users} ON ${users.id} = ${k.userId}
                 WHERE ${users.email} = ${param("email")} AND ${k.address} = ${param("address")} AND ${k.lastSuccessAt} > ${param("knownSince")}::int8) AS known_address`),
    insert: compile<{ id: string | number }>(sql`
      INSERT INTO ${a} (${bare(a.email)}, ${bare(a.address)}, ${bare(a.outcome)}, ${bare(a.at)})
      VALUES (${param("email")}, ${param("address")}, 'pending', ${param("at")}::int8) RETURNING ${bare(a.id)} AS id`),
    outcome: compile(sql`UPDATE ${a} SET ${bare(a.outcome)} = ${param("outcome")} WHERE ${a.id} = ${param("id")}::int8`),
    remember: compile(sql`
      INSERT INTO ${k} (${bare(k.userId)}, ${bare(k.address)}, ${bare(k.lastSuccessAt)}) VALUES (${param("userId")}, ${param("address")}, ${param("at")}::int8)
      ON CONFLICT (${bare(k.userId)}, ${bare(k.address)}) DO UPDATE SET ${bare(k.lastSuccessAt)} = excluded.${bare(k.lastSuccessAt)}`),
    prune: compile(sql`DELETE FROM ${a} WHERE ${a.at} <= ${param("until")}::int8`),
    pruneKnown: compile(sql`DELETE FROM ${k} WHERE ${k.lastSuccessAt} <= ${param("until")}::int8`),
  };
}

/** An attempt id as the store hands it out; anything else names no attempt. */
const attemptIdOf = (id: string) => (/^\d{1,18}$/.test(id) ? id : "0");

export class PostgresLoginThrottleStore implements LoginThrottleStore {
  private readonly s = statements();

  constructor(private readonly client: BunSQL) {}

  async begin(key: AttemptKey, q: ThrottleQuery, now: number, waitMs: (facts: ThrottleFacts) => number): Promise<BeginResult> {
    const { email, address } = key;
    return this.client.begin(async (tx): Promise<BeginResult> => {
      await this.s.lock.run(tx, { email, address });
      const [row] = await this.s.facts.run(tx, {
        email,
        address,
        addressSince: q.addressSince,
        // A negative OFFSET is an error here; SQLite reads it as 0.
        addressOffset: Math.max(0, q.addressMax - 1),
        pairSince: q.pairSince,
        pairOffset: Math.max(0, q.pairMax - 1),
        accountSince: q.accountSince,
        knownSince: q.knownSince,
      });
      const wait = waitMs({
        addressNth: int8OrNull(row!.address_nth) ?? undefined,
        pairNth: int8OrNull(row!.pair_nth) ?? undefined,
        accountFailures: int8(row!.account_failures),
        lastAccountFailure: int8OrNull(row!.last_account_failure),
        knownAddress: row!.known_address,
      });
      if (wait > 0) return { waitMs: wait };
      const [inserted] = await this.s.insert.run(tx, { email, address, at: now });
      return { waitMs: 0, attemptId: String(inserted!.id) };
    });
  }

  async succeeded(attemptId: string, userId: string, address: string, now: number): Promise<void> {
    await this.client.begin(async (tx) => {
      await this.s.outcome.run(tx, { id: attemptIdOf(attemptId), outcome: "succeeded" });
      await this.s.remember.run(tx, { userId, address, at: now });
    });
  }

  async failed(attemptId: string): Promise<void> {
    await this.s.outcome.run(this.client, { id: attemptIdOf(attemptId), outcome: "failed" });
  }

  async prune(attemptsUntil: number, knownUntil: number): Promise<void> {
    await this.s.prune.run(this.client, { until: attemptsUntil });
    await this.s.pruneKnown.run(this.client, { until: knownUntil });
  }
}
