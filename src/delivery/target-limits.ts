// How many delivery slots one target (a webhook, or one Discord alert destination) may hold.
// An endpoint that hangs keeps each request for the whole DELIVERY_TIMEOUT_MS; with its backlog
// first in line it would hold every slot while other webhooks' deliveries waited behind it
// (64 slots, 15 s timeouts: about four attempts a second for everyone). So:
// - a target starts with a few slots and doubles them with every attempt answered within half
//   the timeout (any status: an answer frees its slot quickly), up to the whole
//   DELIVERY_CONCURRENCY: a healthy endpoint has all of them after a handful of answers, a
//   hanging one never gets them, a slow one keeps what it has;
// - a target becomes "restricted" when an attempt ends without an answer after at least half
//   the timeout, or when a request of its has waited with no answer from it since it was sent
//   for a second, or three times its usual answer time if that is longer (5 s while it has
//   never answered: a slow endpoint met for the first time is not taken for a hanging one; at
//   most half the timeout; the loop checks a few times a second): its share is halved, and
//   halved again by each attempt that then fails slowly, down to one slot; answers double it
//   back, and at the whole share it is no longer restricted. A target restricted only on
//   suspicion that then answers gets its share back at once: it was slow, not hanging;
// - restricted targets together hold at most half the slots and half as many queued jobs, so
//   many hanging endpoints cannot fill the slots either;
// - claimed rows a restricted target has no room for are put back for later without an
//   attempt (the loop's "deferred" result), for a delay that doubles while it keeps hanging.
// A target's state is kept while it is in use and for a while after (IDLE_FORGET_MS), so its
// share and answer time survive gaps between bursts. With DELIVERY_CONCURRENCY 1 there is
// nothing to share: every target keeps the one slot. In memory only: after a restart a hanging
// endpoint is found again within 5 s (or half the timeout). Times come from a monotonic clock.
import type { AttemptOutcome } from "./transport";

interface TargetState {
  /** Slots this target may use at once. */
  limit: number;
  inFlight: number;
  /** Claimed jobs waiting for a slot. */
  queued: number;
  /** Held to a share after hanging (a new target ramping up is not). */
  restricted: boolean;
  /**
   * Rounds of slow failures since its last answered attempt: attempts that hung together count
   * once (64 requests timing out at the same moment are one round, not 64).
   */
  strikes: number;
  /** When the last slow failure was seen: a failed attempt started before it is of the same round. */
  failedAt: number;
  /** When its last answered attempt ended (-Infinity: none yet). */
  answeredAt: number;
  /** Its usual answer time (moving average); meaningful once it has answered. */
  answerMs: number;
  /** The share it had when it was restricted on suspicion alone (0: not suspected, or since proven hanging). */
  suspectedFrom: number;
  /** Last time a job of this target was queued, started, finished or put back. */
  activeAt: number;
}

/** Slots a target starts with (TCP's initial window, in spirit). */
export const INITIAL_SLOTS = 4;
/** Rows put back are due again at most this much later (the retry schedule's second step). */
export const MAX_DEFER_MS = 300_000;
/** A target with nothing under way for this long is forgotten: it starts again with a few slots. */
export const IDLE_FORGET_MS = 60_000;
/**
 * A restricted one is kept longer: longer than any put-back delay, so a hanging endpoint whose
 * rows all wait in the database is still known when they come back. After that it is taken for
 * a deleted or disabled webhook.
 */
export const RESTRICTED_FORGET_MS = 2 * MAX_DEFER_MS;
/** Targets looked at per forgetIdle call (it runs a few times a second): a long map is walked in slices. */
const FORGET_SLICE = 1_000;
/** How long a request to a target that has never answered may wait before the target counts as hanging. */
export const FIRST_ANSWER_PATIENCE_MS = 5_000;

/** The least a request may wait with no answer at all from its target before the target is restricted. */
export function suspectAfterMs(timeoutMs: number): number {
  return Math.min(timeoutMs / 2, 1000);
}

export class TargetLimits {
  private readonly targets = new Map<string, TargetState>();
  /** Slots, and queued jobs, that restricted targets may hold together. */
  private readonly restrictedShare: number;
  private readonly initial: number;
  private readonly suspectAfter: number;
  private restrictedInFlight = 0;
  private restrictedQueued = 0;
  /** Where the last forgetIdle slice stopped. */
  private forgetCursor: Iterator<[string, TargetState]> | undefined;
  /** Targets below the whole share (ramping up or restricted): while none is, dispatch takes the fast path. */
  limited = 0;
  /** Restricted targets. */
  restricted = 0;

  constructor(
    private readonly max: number,
    private readonly timeoutMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.restrictedShare = Math.max(1, Math.floor(max / 2));
    this.initial = Math.min(max, INITIAL_SLOTS);
    this.suspectAfter = suspectAfterMs(timeoutMs);
  }

  /** The clock the loop should time attempts with (for `finished` and `suspect`). */
  now(): number {
    return this.clock();
  }

  /** Queued jobs of restricted targets: not counted against the loop's claim room. */
  restrictedWaiting(): number {
    return this.restrictedQueued;
  }

  /** Whether a claimed row for `key` may wait in the loop's queue (else it is put back). */
  admits(key: string): boolean {
    const t = this.targets.get(key);
    return !t || !t.restricted || (t.queued < t.limit && this.restrictedQueued < this.restrictedShare);
  }

  /** A queued job may start only while its target, and restricted targets together, are below their share. */
  canStart(key: string): boolean {
    const t = this.targets.get(key);
    if (!t) return true;
    if (t.inFlight >= t.limit) return false;
    return !t.restricted || this.restrictedInFlight < this.restrictedShare;
  }

  queued(key: string): void {
    const t = this.state(key);
    t.activeAt = this.clock();
    t.queued++;
    if (t.restricted) this.restrictedQueued++;
  }

  started(key: string): void {
    const t = this.state(key);
    t.activeAt = this.clock();
    t.queued--;
    t.inFlight++;
    if (t.restricted) (this.restrictedQueued--, this.restrictedInFlight++);
  }

  /** A claimed row of `key` went back to the database: the target is still in use. */
  putBack(key: string): void {
    const t = this.targets.get(key);
    if (t) t.activeAt = this.clock();
  }

  /** A queued job that will not start (put back, or shutdown). */
  dropped(key: string): void {
    const t = this.state(key);
    t.queued--;
    if (t.restricted) this.restrictedQueued--;
  }

  /**
   * Adjusts the target's share from one attempt that started at `startedAt` (this clock);
   * returns the new limit when it shrank, or when a restricted target came back to the whole share.
   */
  finished(key: string, outcome: AttemptOutcome, startedAt: number): number | undefined {
    const t = this.state(key);
    const now = this.clock();
    t.activeAt = now;
    t.inFlight--;
    if (t.restricted) this.restrictedInFlight--;
    const before = t.limit;
    const wasRestricted = t.restricted;
    const took = now - startedAt;
    if (outcome.statusCode !== null) {
      t.answerMs = t.answeredAt === -Infinity ? took : 0.8 * t.answerMs + 0.2 * took;
      t.answeredAt = now;
      t.strikes = 0;
      if (t.suspectedFrom > 0) {
        // Restricted on suspicion, and it answered: slow, not hanging.
        this.setLimit(t, Math.max(t.suspectedFrom, Math.min(this.max, t.limit * 2)));
        t.suspectedFrom = 0;
        this.setRestricted(t, false);
      } else if (took < this.timeoutMs / 2) {
        this.setLimit(t, Math.min(this.max, t.limit * 2));
        if (t.restricted && t.limit >= this.max) this.setRestricted(t, false);
      }
    } else if (outcome.durationMs >= this.timeoutMs / 2) {
      if (startedAt >= t.failedAt) t.strikes++;
      t.failedAt = now;
      t.suspectedFrom = 0;
      this.setLimit(t, Math.max(1, t.limit >> 1));
      if (!t.restricted && this.max > 1) this.setRestricted(t, true);
    }
    return t.limit < before || (wasRestricted && !t.restricted) ? t.limit : undefined;
  }

  /**
   * A request of `key`'s started at `startedAt` (this clock) and still running: if it has waited
   * long enough (a second, or three times the target's usual answer time when longer, or
   * FIRST_ANSWER_PATIENCE_MS while the target has never answered; at most half the timeout) and
   * nothing of that target has been answered since it started, the target is treated as hanging
   * now rather than at the timeout: restricted, its share halved. Returns the new limit, or
   * undefined if nothing changed.
   */
  suspect(key: string, startedAt: number): number | undefined {
    const t = this.targets.get(key);
    if (!t || t.restricted || this.max === 1 || t.answeredAt > startedAt) return undefined;
    const usual = t.answeredAt === -Infinity ? FIRST_ANSWER_PATIENCE_MS : Math.max(this.suspectAfter, 3 * t.answerMs);
    const patience = Math.min(usual, this.timeoutMs / 2);
    if (this.clock() - startedAt < patience) return undefined;
    t.suspectedFrom = t.limit;
    this.setLimit(t, Math.max(1, Math.min(t.limit, t.inFlight) >> 1));
    this.setRestricted(t, true);
    return t.limit;
  }

  /** Queued jobs of `key` beyond what its share (and the restricted group's) allows now. */
  excessQueued(key: string): number {
    const t = this.targets.get(key);
    if (!t || !t.restricted) return 0;
    const othersQueued = this.restrictedQueued - t.queued;
    return Math.max(0, t.queued - Math.min(t.limit, this.restrictedShare - othersQueued));
  }

  /**
   * How long a row put back waits: one timeout, doubling with each round of slow failures in a
   * row, at most MAX_DEFER_MS, with ±20 % jitter so rows put back together do not all return
   * together. A hanging endpoint's whole backlog is then rewritten about once per MAX_DEFER_MS.
   */
  deferMs(key: string, random: () => number = Math.random): number {
    const strikes = this.targets.get(key)?.strikes ?? 0;
    const base = Math.min(MAX_DEFER_MS, this.timeoutMs * 2 ** Math.min(Math.max(strikes - 1, 0), 20));
    return Math.round(base * (0.8 + 0.4 * random()));
  }

  /** Targets with state kept. */
  get tracked(): number {
    return this.targets.size;
  }

  /**
   * Forgets targets with nothing under way for IDLE_FORGET_MS (restricted ones:
   * RESTRICTED_FORGET_MS). Looks at FORGET_SLICE targets per call, carrying on where the last
   * call stopped, so a map of 100,000 targets never stalls the event loop.
   */
  forgetIdle(): void {
    const now = this.clock();
    for (let seen = 0; seen < FORGET_SLICE; seen++) {
      const next = (this.forgetCursor ??= this.targets.entries()).next();
      if (next.done) {
        this.forgetCursor = undefined;
        return;
      }
      const [key, t] = next.value;
      if (t.inFlight > 0 || t.queued > 0) continue;
      if (now - t.activeAt >= (t.restricted ? RESTRICTED_FORGET_MS : IDLE_FORGET_MS)) this.forget(key, t);
    }
  }

  private state(key: string): TargetState {
    let t = this.targets.get(key);
    if (!t) {
      t = {
        limit: this.initial, inFlight: 0, queued: 0, restricted: false, strikes: 0, failedAt: -Infinity,
        answeredAt: -Infinity, answerMs: 0, suspectedFrom: 0, activeAt: this.clock(),
      };
      this.targets.set(key, t);
      if (t.limit < this.max) this.limited++;
    }
    return t;
  }

  private setLimit(t: TargetState, limit: number): void {
    if (t.limit < this.max && limit >= this.max) this.limited--;
    else if (t.limit >= this.max && limit < this.max) this.limited++;
    t.limit = limit;
  }

  /** Moving in or out of the restricted group carries the target's jobs with it. */
  private setRestricted(t: TargetState, restricted: boolean): void {
    const sign = restricted ? 1 : -1;
    t.restricted = restricted;
    this.restricted += sign;
    this.restrictedInFlight += sign * t.inFlight;
    this.restrictedQueued += sign * t.queued;
  }

  private forget(key: string, t: TargetState): void {
    this.targets.delete(key);
    if (t.restricted) this.setRestricted(t, false);
    if (t.limit < this.max) this.limited--;
  }
}
