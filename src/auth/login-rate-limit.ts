// Sign-in throttling, kept in the database so every process on the file shares the counts.
// Three limits, each answered with 429 and Retry-After:
// - failed attempts on one account from one address (5 per 15 minutes): guessing from one
//   place is slow, and it holds back only that place, never the owner elsewhere;
// - all attempts from one address (30 per 15 minutes): bounds the argon2 work one client can
//   make us do, across accounts;
// - failed attempts on one account from all addresses: past a free budget (20 per 15 minutes)
//   each further attempt waits for a delay after the last failure that doubles with every
//   failure, up to a minute. That bounds guessing from many addresses to about one a minute,
//   and it is a delay, not a lock: an owner is held back by seconds, never shut out, and
//   addresses the owner signed in from during the last 30 days are not held back at all.
// An attempt is recorded as `pending` (a failure) before its password is checked, so a burst
// of concurrent guesses cannot all pass the check; it becomes `succeeded` when it was right.
import ipaddr from "ipaddr.js";
import type { Db } from "../db/client";
import { preparedPer } from "../db/prepared";

export interface WindowLimit {
  max: number;
  windowMs: number;
}

export interface AccountBudget {
  /** Failures in the window before any delay. */
  free: number;
  windowMs: number;
  /** The delay after the first failure past the free budget; doubles with each further one. */
  firstDelayMs: number;
  maxDelayMs: number;
}

export interface LoginLimits {
  perAccountAndAddress: WindowLimit;
  perAddress: WindowLimit;
  perAccount: AccountBudget;
  /** How long an address the user signed in from stays exempt from the account-wide delay. */
  knownAddressMs: number;
}

const MINUTE = 60_000;

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perAccountAndAddress: { max: 5, windowMs: 15 * MINUTE },
  perAddress: { max: 30, windowMs: 15 * MINUTE },
  perAccount: { free: 20, windowMs: 15 * MINUTE, firstDelayMs: 1000, maxDelayMs: MINUTE },
  knownAddressMs: 30 * 24 * 60 * MINUTE,
};

/**
 * The address an attempt is counted under: an IPv6 client by its /64, since one host usually
 * holds a whole /64 and could otherwise try from a new address each time.
 */
export function throttleAddress(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === "ipv4") return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(":")}::/64`;
}

const statements = preparedPer((db) => {
  const s = db.$client;
  return {
    // The `n`-th most recent attempt in a window (OFFSET n - 1): once it exists the limit is
    // reached, and it leaves the window (freeing a place) at its time + the window.
    nthByAddress: s.prepare(`SELECT at FROM login_attempts WHERE address = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?`).pluck(),
    nthFailureByAccountAndAddress: s
      .prepare(
        `SELECT at FROM login_attempts WHERE email = ? AND address = ? AND at > ? AND outcome != 'succeeded'
          ORDER BY at DESC LIMIT 1 OFFSET ?`,
      )
      .pluck(),
    accountFailures: s.prepare(
      `SELECT count(*) AS n, max(at) AS last FROM login_attempts WHERE email = ? AND at > ? AND outcome != 'succeeded'`,
    ),
    knownAddress: s
      .prepare(
        `SELECT 1 FROM login_known_addresses k JOIN users u ON u.id = k.user_id
          WHERE u.email = ? AND k.address = ? AND k.last_success_at > ?`,
      )
      .pluck(),
    insert: s.prepare(`INSERT INTO login_attempts (email, address, outcome, at) VALUES (?, ?, 'pending', ?)`),
    outcome: s.prepare(`UPDATE login_attempts SET outcome = ? WHERE id = ?`),
    remember: s.prepare(
      `INSERT INTO login_known_addresses (user_id, address, last_success_at) VALUES (?, ?, ?)
       ON CONFLICT (user_id, address) DO UPDATE SET last_success_at = excluded.last_success_at`,
    ),
    prune: s.prepare(`DELETE FROM login_attempts WHERE at <= ?`),
    pruneKnown: s.prepare(`DELETE FROM login_known_addresses WHERE last_success_at <= ?`),
  };
});

/** An attempt let through: say how it ended. */
export interface LoginAttempt {
  succeeded(userId: string): void;
  failed(): void;
}

export type ThrottleDecision = { retryAfterSeconds: number; attempt?: undefined } | { retryAfterSeconds: 0; attempt: LoginAttempt };

/** Old rows are deleted once every this many attempts (each process counts its own). */
const PRUNE_EVERY = 64;

export class LoginThrottle {
  private untilPrune = 0;

  constructor(
    private readonly db: Db,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  ) {}

  /**
   * Decides whether this attempt may check a password and, if so, records it as pending, in
   * one write transaction: two processes deciding at once see each other's attempts.
   */
  begin(email: string, clientAddress: string, now = Date.now()): ThrottleDecision {
    const address = throttleAddress(clientAddress);
    return this.db.$client.transaction((): ThrottleDecision => {
      this.prune(now);
      const wait = this.waitMs(email, address, now);
      if (wait > 0) return { retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)) };
      const s = statements(this.db);
      const id = Number(s.insert.run(email, address, now).lastInsertRowid);
      return {
        retryAfterSeconds: 0,
        attempt: {
          succeeded: (userId) => {
            this.db.$client.transaction(() => {
              s.outcome.run("succeeded", id);
              s.remember.run(userId, address, Date.now());
            })();
          },
          failed: () => void s.outcome.run("failed", id),
        },
      };
    }).immediate();
  }

  /** Milliseconds until the first limit this attempt is over lets it through, or 0. */
  private waitMs(email: string, address: string, now: number): number {
    const s = statements(this.db);
    const { perAddress, perAccountAndAddress, perAccount } = this.limits;
    const waits = [0];
    const nthAddress = s.nthByAddress.get(address, now - perAddress.windowMs, perAddress.max - 1) as number | undefined;
    if (nthAddress !== undefined) waits.push(nthAddress + perAddress.windowMs - now);
    const nthPair = s.nthFailureByAccountAndAddress.get(email, address, now - perAccountAndAddress.windowMs, perAccountAndAddress.max - 1) as
      | number
      | undefined;
    if (nthPair !== undefined) waits.push(nthPair + perAccountAndAddress.windowMs - now);
    const failures = s.accountFailures.get(email, now - perAccount.windowMs) as { n: number; last: number | null };
    if (failures.n >= perAccount.free && failures.last !== null) {
      const known = s.knownAddress.get(email, address, now - this.limits.knownAddressMs) !== undefined;
      if (!known) {
        const delay = Math.min(perAccount.firstDelayMs * 2 ** (failures.n - perAccount.free), perAccount.maxDelayMs);
        waits.push(failures.last + delay - now);
      }
    }
    return Math.max(...waits);
  }

  private prune(now: number): void {
    if (--this.untilPrune > 0) return;
    this.untilPrune = PRUNE_EVERY;
    const { perAddress, perAccountAndAddress, perAccount, knownAddressMs } = this.limits;
    const s = statements(this.db);
    s.prune.run(now - Math.max(perAddress.windowMs, perAccountAndAddress.windowMs, perAccount.windowMs));
    s.pruneKnown.run(now - knownAddressMs);
  }
}
