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
import type { LoginThrottleStore, ThrottleFacts, ThrottleQuery } from "../db/aggregates/login-throttle";

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

/** An attempt let through: say how it ended. */
export interface LoginAttempt {
  succeeded(userId: string): Promise<void>;
  failed(): Promise<void>;
}

export type ThrottleDecision = { retryAfterSeconds: number; attempt?: undefined } | { retryAfterSeconds: 0; attempt: LoginAttempt };

/** Old rows are deleted once every this many attempts (each process counts its own). */
const PRUNE_EVERY = 64;

export class LoginThrottle {
  private untilPrune = 0;

  constructor(
    private readonly attempts: LoginThrottleStore,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  ) {}

  /**
   * Decides whether this attempt may check a password and, if so, records it as pending, in
   * one write transaction: two processes deciding at once see each other's attempts.
   */
  async begin(email: string, clientAddress: string, now = Date.now()): Promise<ThrottleDecision> {
    const address = throttleAddress(clientAddress);
    await this.prune(now);
    const { perAddress, perAccountAndAddress, perAccount, knownAddressMs } = this.limits;
    const query: ThrottleQuery = {
      addressSince: now - perAddress.windowMs,
      addressMax: perAddress.max,
      pairSince: now - perAccountAndAddress.windowMs,
      pairMax: perAccountAndAddress.max,
      accountSince: now - perAccount.windowMs,
      knownSince: now - knownAddressMs,
    };
    const begun = await this.attempts.begin({ email, address }, query, now, (facts) => this.waitMs(facts, now));
    if (begun.attemptId === undefined) return { retryAfterSeconds: Math.max(1, Math.ceil(begun.waitMs / 1000)) };
    const id = begun.attemptId;
    return {
      retryAfterSeconds: 0,
      attempt: {
        succeeded: (userId) => this.attempts.succeeded(id, userId, address, Date.now()),
        failed: () => this.attempts.failed(id),
      },
    };
  }

  /** Milliseconds until the first limit this attempt is over lets it through, or 0. */
  private waitMs(facts: ThrottleFacts, now: number): number {
    const { perAddress, perAccountAndAddress, perAccount } = this.limits;
    const waits = [0];
    if (facts.addressNth !== undefined) waits.push(facts.addressNth + perAddress.windowMs - now);
    if (facts.pairNth !== undefined) waits.push(facts.pairNth + perAccountAndAddress.windowMs - now);
    const last = facts.lastAccountFailure;
    if (facts.accountFailures >= perAccount.free && last !== null && !facts.knownAddress) {
      const delay = Math.min(perAccount.firstDelayMs * 2 ** (facts.accountFailures - perAccount.free), perAccount.maxDelayMs);
      waits.push(last + delay - now);
    }
    return Math.max(...waits);
  }

  private async prune(now: number): Promise<void> {
    if (--this.untilPrune > 0) return;
    this.untilPrune = PRUNE_EVERY;
    const { perAddress, perAccountAndAddress, perAccount, knownAddressMs } = this.limits;
    await this.attempts.prune(now - Math.max(perAddress.windowMs, perAccountAndAddress.windowMs, perAccount.windowMs), now - knownAddressMs);
  }
}
