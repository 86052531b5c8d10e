// How many delivery slots one target (a webhook, or one Discord alert destination) may hold.
// An endpoint that hangs keeps each request for the whole DELIVERY_TIMEOUT_MS; with its backlog
// first in line it would hold every slot while other webhooks' deliveries waited behind it
// (64 slots, 15 s timeouts: about four attempts a second for everyone). So:
// - a target's share halves on every attempt that ends without an answer after at least half
//   the timeout, down to one slot, and doubles on every answered attempt (any status: an answer
//   frees its slot quickly), back to the whole DELIVERY_CONCURRENCY within a few answers;
// - targets below their whole share ("restricted") together hold at most half the slots and
//   half as many queued jobs, so many hanging endpoints cannot fill the slots either;
// - claimed rows a restricted target has no room for are put back for later without an
//   attempt (the loop's "deferred" result), for a delay that doubles while it keeps hanging.
// With DELIVERY_CONCURRENCY 1 there is nothing to share: every target keeps the one slot.
// In memory only: after a restart a hanging endpoint is found again within one timeout.
import type { AttemptOutcome } from "./transport";

interface TargetState {
  /** Slots this target may use at once. */
  limit: number;
  inFlight: number;
  /** Claimed jobs waiting for a slot. */
  queued: number;
  /**
   * Rounds of slow failures since its last answered attempt: attempts that hung together count
   * once (64 requests timing out at the same moment are one round, not 64).
   */
  strikes: number;
  /** When the last slow failure was seen: a failed attempt started before it is of the same round. */
  failedAt: number;
  /** Last time a job of this target was queued, started or finished. */
  activeAt: number;
}

/** Rows put back are due again at most this much later (the retry schedule's second step). */
export const MAX_DEFER_MS = 300_000;
/**
 * A restricted target with nothing under way for this long is forgotten (a deleted or disabled
 * webhook). Longer than any put-back delay, so a hanging endpoint whose rows all wait in the
 * database is still known when they come back.
 */
export const FORGET_IDLE_MS = 2 * MAX_DEFER_MS;

export class TargetLimits {
  private readonly targets = new Map<string, TargetState>();
  /** Slots, and queued jobs, that restricted targets may hold together. */
  private readonly restrictedShare: number;
  private restrictedInFlight = 0;
  private restrictedQueued = 0;
  /** Targets below their whole share: while none is, dispatch takes the fast path. */
  restricted = 0;

  constructor(
    private readonly max: number,
    private readonly timeoutMs: number,
  ) {
    this.restrictedShare = Math.max(1, Math.floor(max / 2));
  }

  /** Queued jobs of restricted targets: not counted against the loop's claim room. */
  restrictedWaiting(): number {
    return this.restrictedQueued;
  }

  /** Whether a claimed row for `key` may wait in the loop's queue (else it is put back). */
  admits(key: string): boolean {
    const t = this.targets.get(key);
    return !t || t.limit >= this.max || (t.queued < t.limit && this.restrictedQueued < this.restrictedShare);
  }

  /** A queued job may start only while its target, and restricted targets together, are below their share. */
  canStart(key: string): boolean {
    const t = this.targets.get(key);
    if (!t) return true;
    if (t.limit >= this.max) return t.inFlight < t.limit;
    return t.inFlight < t.limit && this.restrictedInFlight < this.restrictedShare;
  }

  queued(key: string): void {
    const t = this.state(key);
    t.activeAt = Date.now();
    t.queued++;
    if (t.limit < this.max) this.restrictedQueued++;
  }

  started(key: string): void {
    const t = this.state(key);
    t.activeAt = Date.now();
    t.queued--;
    t.inFlight++;
    if (t.limit < this.max) (this.restrictedQueued--, this.restrictedInFlight++);
  }

  /** A claimed row of `key` went back to the database: the target is still in use. */
  putBack(key: string): void {
    const t = this.targets.get(key);
    if (t) t.activeAt = Date.now();
  }

  /** A queued job that will not start (put back, or shutdown). */
  dropped(key: string): void {
    const t = this.state(key);
    t.queued--;
    if (t.limit < this.max) this.restrictedQueued--;
    this.forgetIfIdle(key, t);
  }

  /**
   * Adjusts the target's share from one attempt that started at `startedAt`; returns the new
   * limit when it shrank or came back to full.
   */
  finished(key: string, outcome: AttemptOutcome, startedAt: number): number | undefined {
    const t = this.state(key);
    const now = Date.now();
    t.activeAt = now;
    t.inFlight--;
    const before = t.limit;
    if (before < this.max) this.restrictedInFlight--;
    if (outcome.statusCode !== null) {
      t.strikes = 0;
      t.limit = Math.min(this.max, t.limit * 2);
    } else if (outcome.durationMs >= this.timeoutMs / 2) {
      if (startedAt >= t.failedAt) t.strikes++;
      t.failedAt = now;
      t.limit = Math.max(1, t.limit >> 1);
    }
    // Moving in or out of the restricted group carries the target's jobs with it.
    const sign = before >= this.max && t.limit < this.max ? 1 : before < this.max && t.limit >= this.max ? -1 : 0;
    if (sign !== 0) {
      this.restricted += sign;
      this.restrictedInFlight += sign * t.inFlight;
      this.restrictedQueued += sign * t.queued;
    }
    this.forgetIfIdle(key, t);
    return t.limit < before || (t.limit === this.max && before < this.max) ? t.limit : undefined;
  }

  /** Queued jobs of `key` beyond what its share (and the restricted group's) allows now. */
  excessQueued(key: string): number {
    const t = this.targets.get(key);
    if (!t || t.limit >= this.max) return 0;
    const othersQueued = this.restrictedQueued - t.queued;
    return Math.max(0, t.queued - Math.min(t.limit, this.restrictedShare - othersQueued));
  }

  /**
   * How long a row put back waits: one timeout, doubling with each round of slow failures in a
   * row, at most MAX_DEFER_MS, with ±20 % jitter so rows put back together do not all return
   * together.
   * A hanging endpoint's whole backlog is then rewritten about once per MAX_DEFER_MS.
   */
  deferMs(key: string, random: () => number = Math.random): number {
    const strikes = this.targets.get(key)?.strikes ?? 0;
    const base = Math.min(MAX_DEFER_MS, this.timeoutMs * 2 ** Math.min(Math.max(strikes - 1, 0), 20));
    return Math.round(base * (0.8 + 0.4 * random()));
  }

  /** Targets with state kept (restricted, or with jobs under way). */
  get tracked(): number {
    return this.targets.size;
  }

  /** Forgets restricted targets idle for FORGET_IDLE_MS (called from the loop's poll). */
  forgetIdle(now: number): void {
    if (this.restricted === 0) return;
    for (const [key, t] of this.targets) {
      if (t.limit < this.max && t.inFlight === 0 && t.queued === 0 && now - t.activeAt >= FORGET_IDLE_MS) {
        this.targets.delete(key);
        this.restricted--;
      }
    }
  }

  private state(key: string): TargetState {
    let t = this.targets.get(key);
    if (!t) this.targets.set(key, (t = { limit: this.max, inFlight: 0, queued: 0, strikes: 0, failedAt: 0, activeAt: Date.now() }));
    return t;
  }

  /**
   * A target at its whole share with nothing under way is the default state: not kept. A
   * restricted one is kept (a few numbers per hanging webhook) so its rows keep being put back.
   */
  private forgetIfIdle(key: string, t: TargetState): void {
    if (t.limit >= this.max && t.inFlight === 0 && t.queued === 0) this.targets.delete(key);
  }
}
