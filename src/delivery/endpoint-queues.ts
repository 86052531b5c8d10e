// Claimed rows waiting for a delivery slot, one queue per endpoint (a webhook, or one Discord
// alert destination), each holding its waiting jobs, its running attempts and its share of the
// slots. Jobs start in the order they were claimed, skipping endpoints at their share.
//
// How many delivery slots one endpoint may hold:
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
// nothing to share: every target keeps the one slot. "The timeout" is the endpoint's own: a
// webhook's `timeout_ms` when it has one (carried by each of its jobs, from the claim), else
// DELIVERY_TIMEOUT_MS. In memory only (it describes this
// process's own requests): after a restart a hanging
// endpoint is found again within 5 s (or half the timeout). Times come from a monotonic clock.
import type { AttemptOutcome } from "./transport";

/** What a queue needs of a job: its endpoint, whether it is a retry, and room for its bookkeeping. */
export interface EndpointJob {
  /** The endpoint's key: a webhook id, or `alert:` and the traffic-source webhook's id. */
  readonly target: string;
  /** A retry (attempts made before): put back after first attempts. */
  readonly isRetry: boolean;
  /** Its endpoint's own attempt timeout (a webhook's `timeout_ms`); absent: the queues' default. */
  readonly timeoutMs?: number;
  /** When its attempt started, on the queues' clock. */
  startedAt: number;
  /** Set by the queues: its place in claim order, then in its endpoint's running list. */
  seq: number;
  slot: number;
}

/** One endpoint: its waiting jobs, its running attempts, and its share of the slots. */
class EndpointQueue<J extends EndpointJob> {
  /** Claimed jobs waiting for a slot, oldest first. */
  readonly waiting: J[] = [];
  /** Attempts running now (a dense array: a job knows its slot). */
  readonly running: J[] = [];
  /** Its place in the queues' heap while it has waiting jobs, else -1. */
  heapAt = -1;
  /** Slots this endpoint may use at once. */
  limit: number;
  /** Held to a share after hanging (a new endpoint ramping up is not). */
  restricted = false;
  /**
   * Rounds of slow failures since its last answered attempt: attempts that hung together count
   * once (64 requests timing out at the same moment are one round, not 64).
   */
  strikes = 0;
  /** When the last slow failure was seen: a failed attempt started before it is of the same round. */
  failedAt = -Infinity;
  /** When its last answered attempt ended (-Infinity: none yet). */
  answeredAt = -Infinity;
  /** Its usual answer time (moving average); meaningful once it has answered. */
  answerMs = 0;
  /** The share it had when it was restricted on suspicion alone (0: not suspected, or since proven hanging). */
  suspectedFrom = 0;
  /** Last time a job of it was queued, started, finished or put back. */
  activeAt: number;
  /** Its attempts' timeout, as its latest queued job said, and the least wait before a hang is suspected. */
  timeoutMs: number;
  suspectAfter: number;

  constructor(readonly key: string, limit: number, now: number, timeoutMs: number) {
    this.limit = limit;
    this.activeAt = now;
    this.timeoutMs = timeoutMs;
    this.suspectAfter = suspectAfterMs(timeoutMs);
  }

  get head(): number {
    return this.waiting[0]!.seq;
  }
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

export class EndpointQueues<J extends EndpointJob> {
  private readonly endpoints = new Map<string, EndpointQueue<J>>();
  /** Endpoints with waiting jobs, by the claim order of their oldest one. */
  private readonly heap: EndpointQueue<J>[] = [];
  /** Slots, and waiting jobs, that restricted endpoints may hold together. */
  private readonly restrictedShare: number;
  private readonly initial: number;
  private restrictedInFlight = 0;
  private restrictedQueued = 0;
  private nextSeq = 0;
  /** Where the last forgetIdle slice stopped. */
  private forgetCursor: Iterator<[string, EndpointQueue<J>]> | undefined;
  /** Jobs waiting, and attempts running, over every endpoint. */
  waiting = 0;
  inFlight = 0;
  /** Endpoints below the whole share (ramping up or restricted): while none is, dispatch takes the fast path. */
  limited = 0;
  /** Restricted endpoints. */
  restricted = 0;

  constructor(
    private readonly max: number,
    private readonly timeoutMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.restrictedShare = Math.max(1, Math.floor(max / 2));
    this.initial = Math.min(max, INITIAL_SLOTS);
  }

  /** The clock attempts are timed with (`startedAt`, `suspect`). */
  now(): number {
    return this.clock();
  }

  /** Waiting jobs of restricted endpoints: not counted against the loop's claim room. */
  restrictedWaiting(): number {
    return this.restrictedQueued;
  }

  /** Whether a claimed row for `key` may wait here (else it is put back). */
  admits(key: string): boolean {
    const t = this.endpoints.get(key);
    return !t || !t.restricted || (t.waiting.length < t.limit && this.restrictedQueued < this.restrictedShare);
  }

  /** A job of `key` may start only while its endpoint, and restricted endpoints together, are below their share. */
  canStart(key: string): boolean {
    const t = this.endpoints.get(key);
    return !t || this.mayStart(t);
  }

  private mayStart(t: EndpointQueue<J>): boolean {
    if (t.running.length >= t.limit) return false;
    return !t.restricted || this.restrictedInFlight < this.restrictedShare;
  }

  /** Queues a claimed job behind every job claimed before it. */
  push(job: J): void {
    const t = this.endpoint(job.target);
    t.activeAt = this.clock();
    const timeoutMs = job.timeoutMs ?? this.timeoutMs;
    if (t.timeoutMs !== timeoutMs) (t.timeoutMs = timeoutMs), (t.suspectAfter = suspectAfterMs(timeoutMs));
    job.seq = this.nextSeq++;
    t.waiting.push(job);
    this.waiting++;
    if (t.restricted) this.restrictedQueued++;
    if (t.waiting.length === 1) this.heapInsert(t);
  }

  /** The oldest waiting job whose endpoint is below its share, started; undefined when none may start. */
  take(): J | undefined {
    if (this.heap.length === 0) return undefined;
    if (this.limited === 0) return this.start(this.heap[0]!.waiting[0]!);
    // Endpoints at their share are few (each holds a slot): set them aside until one may start.
    const full: EndpointQueue<J>[] = [];
    let job: J | undefined;
    while (this.heap.length > 0) {
      const t = this.heap[0]!;
      if (this.mayStart(t)) {
        job = this.start(t.waiting[0]!);
        break;
      }
      full.push(this.heapRemove(t));
    }
    for (const t of full) this.heapInsert(t);
    return job;
  }

  /** Starts this waiting job now, whatever its endpoint's share (take() is what respects it). */
  start(job: J): J {
    const t = this.endpoints.get(job.target)!;
    const at = t.waiting.indexOf(job);
    if (at === 0) t.waiting.shift();
    else t.waiting.splice(at, 1);
    this.waiting--;
    if (t.waiting.length === 0) this.heapRemove(t);
    else if (at === 0) this.heapDown(t);
    t.activeAt = job.startedAt = this.clock();
    job.slot = t.running.length;
    t.running.push(job);
    this.inFlight++;
    if (t.restricted) (this.restrictedQueued--, this.restrictedInFlight++);
    return job;
  }

  /** Whether this job's attempt is still running here (not given up on by `drain`). */
  isRunning(job: J): boolean {
    return this.endpoints.get(job.target)?.running[job.slot] === job;
  }

  /**
   * The job's attempt ended: its slot is free, and its endpoint's share follows the outcome.
   * Returns the new limit when it shrank, or when a restricted endpoint came back to the whole share.
   */
  finished(job: J, outcome: AttemptOutcome): number | undefined {
    const t = this.endpoint(job.target);
    const last = t.running.pop()!;
    if (last !== job) (t.running[job.slot] = last), (last.slot = job.slot);
    this.inFlight--;
    if (t.restricted) this.restrictedInFlight--;
    return this.adjust(t, outcome, job.startedAt);
  }

  private adjust(t: EndpointQueue<J>, outcome: AttemptOutcome, startedAt: number): number | undefined {
    const now = this.clock();
    t.activeAt = now;
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
      } else if (took < t.timeoutMs / 2) {
        this.setLimit(t, Math.min(this.max, t.limit * 2));
        if (t.restricted && t.limit >= this.max) this.setRestricted(t, false);
      }
    } else if (outcome.durationMs >= t.timeoutMs / 2) {
      if (startedAt >= t.failedAt) t.strikes++;
      t.failedAt = now;
      t.suspectedFrom = 0;
      this.setLimit(t, Math.max(1, t.limit >> 1));
      if (!t.restricted && this.max > 1) this.setRestricted(t, true);
    }
    return t.limit < before || (wasRestricted && !t.restricted) ? t.limit : undefined;
  }

  /**
   * Every running attempt is looked at: an endpoint whose attempt has waited too long with no
   * answer from it since is treated as hanging now rather than at the timeout (see `suspect`).
   * Returns the endpoints whose share changed, with their new limits.
   */
  suspectHangs(): { target: string; limit: number }[] {
    const changed: { target: string; limit: number }[] = [];
    if (this.inFlight === 0) return changed;
    for (const t of this.endpoints.values()) {
      for (const job of t.running) {
        const limit = this.suspect(t.key, job.startedAt);
        if (limit !== undefined) changed.push({ target: t.key, limit });
      }
    }
    return changed;
  }

  /**
   * An attempt of `key`'s started at `startedAt` (this clock) and still running: if it has waited
   * long enough (a second, or three times the endpoint's usual answer time when longer, or
   * FIRST_ANSWER_PATIENCE_MS while the endpoint has never answered; at most half the timeout) and
   * nothing of that endpoint has been answered since it started, the endpoint is treated as hanging
   * now rather than at the timeout: restricted, its share halved. Returns the new limit, or
   * undefined if nothing changed.
   */
  suspect(key: string, startedAt: number): number | undefined {
    const t = this.endpoints.get(key);
    if (!t || t.restricted || this.max === 1 || t.answeredAt > startedAt) return undefined;
    const usual = t.answeredAt === -Infinity ? FIRST_ANSWER_PATIENCE_MS : Math.max(t.suspectAfter, 3 * t.answerMs);
    const patience = Math.min(usual, t.timeoutMs / 2);
    if (this.clock() - startedAt < patience) return undefined;
    t.suspectedFrom = t.limit;
    this.setLimit(t, Math.max(1, Math.min(t.limit, t.running.length) >> 1));
    this.setRestricted(t, true);
    return t.limit;
  }

  /** Waiting jobs of `key` beyond what its share (and the restricted group's) allows now. */
  excessQueued(key: string): number {
    const t = this.endpoints.get(key);
    if (!t || !t.restricted) return 0;
    const othersQueued = this.restrictedQueued - t.waiting.length;
    return Math.max(0, t.waiting.length - Math.min(t.limit, this.restrictedShare - othersQueued));
  }

  /**
   * Takes up to `count` of `key`'s waiting jobs out, newest first, for the caller to put back:
   * first attempts go before retries (which keep moving through the retry schedule towards
   * `failed` and auto-disable), and with `firstAttemptsOnly` only they go.
   */
  takeBack(key: string, count: number, firstAttemptsOnly = false): J[] {
    const t = this.endpoints.get(key);
    const taken: J[] = [];
    if (!t || count <= 0) return taken;
    const oldest = t.waiting[0];
    for (const retries of firstAttemptsOnly ? [false] : [false, true]) {
      for (let i = t.waiting.length - 1; i >= 0 && taken.length < count; i--) {
        const job = t.waiting[i]!;
        if (job.isRetry !== retries) continue;
        t.waiting.splice(i, 1);
        taken.push(job);
      }
    }
    this.waiting -= taken.length;
    if (t.restricted) this.restrictedQueued -= taken.length;
    if (t.waiting.length === 0) {
      if (t.heapAt >= 0) this.heapRemove(t);
    } else if (t.waiting[0] !== oldest) this.heapDown(t);
    if (taken.length > 0) t.activeAt = this.clock();
    return taken;
  }

  /** A claimed row of `key` went back to the database without queueing: the endpoint is still in use. */
  touch(key: string): void {
    const t = this.endpoints.get(key);
    if (t) t.activeAt = this.clock();
  }

  /** Takes every waiting job out (shutdown: they go back to the database at once). */
  takeAllWaiting(): J[] {
    const waiting: J[] = [];
    for (const t of this.heap) {
      waiting.push(...t.waiting.splice(0));
      t.heapAt = -1;
    }
    this.heap.length = 0;
    this.waiting = this.restrictedQueued = 0;
    return waiting;
  }

  /** Empties every queue (shutdown): the jobs still waiting and the attempts given up on. */
  drain(): J[] {
    const jobs = this.takeAllWaiting();
    for (const t of this.endpoints.values()) jobs.push(...t.running.splice(0));
    this.inFlight = this.restrictedInFlight = 0;
    return jobs;
  }

  /**
   * How long a row put back waits: one timeout, doubling with each round of slow failures in a
   * row, at most MAX_DEFER_MS, with ±20 % jitter so rows put back together do not all return
   * together. A hanging endpoint's whole backlog is then rewritten about once per MAX_DEFER_MS.
   */
  deferMs(key: string, random: () => number = Math.random): number {
    const t = this.endpoints.get(key);
    const strikes = t?.strikes ?? 0;
    const base = Math.min(MAX_DEFER_MS, (t?.timeoutMs ?? this.timeoutMs) * 2 ** Math.min(Math.max(strikes - 1, 0), 20));
    return Math.round(base * (0.8 + 0.4 * random()));
  }

  /** Endpoints with state kept. */
  get tracked(): number {
    return this.endpoints.size;
  }

  /**
   * Forgets endpoints with nothing under way for IDLE_FORGET_MS (restricted ones:
   * RESTRICTED_FORGET_MS). Looks at FORGET_SLICE endpoints per call, carrying on where the last
   * call stopped, so a map of 100,000 endpoints never stalls the event loop.
   */
  forgetIdle(): void {
    const now = this.clock();
    for (let seen = 0; seen < FORGET_SLICE; seen++) {
      const next = (this.forgetCursor ??= this.endpoints.entries()).next();
      if (next.done) {
        this.forgetCursor = undefined;
        return;
      }
      const [key, t] = next.value;
      if (t.running.length > 0 || t.waiting.length > 0) continue;
      if (now - t.activeAt >= (t.restricted ? RESTRICTED_FORGET_MS : IDLE_FORGET_MS)) this.forget(key, t);
    }
  }

  private endpoint(key: string): EndpointQueue<J> {
    let t = this.endpoints.get(key);
    if (!t) {
      t = new EndpointQueue<J>(key, this.initial, this.clock(), this.timeoutMs);
      this.endpoints.set(key, t);
      if (t.limit < this.max) this.limited++;
    }
    return t;
  }

  private setLimit(t: EndpointQueue<J>, limit: number): void {
    if (t.limit < this.max && limit >= this.max) this.limited--;
    else if (t.limit >= this.max && limit < this.max) this.limited++;
    t.limit = limit;
  }

  /** Moving in or out of the restricted group carries the endpoint's jobs with it. */
  private setRestricted(t: EndpointQueue<J>, restricted: boolean): void {
    const sign = restricted ? 1 : -1;
    t.restricted = restricted;
    this.restricted += sign;
    this.restrictedInFlight += sign * t.running.length;
    this.restrictedQueued += sign * t.waiting.length;
  }

  private forget(key: string, t: EndpointQueue<J>): void {
    this.endpoints.delete(key);
    if (t.restricted) this.setRestricted(t, false);
    if (t.limit < this.max) this.limited--;
  }

  // A binary min-heap of endpoints with waiting jobs, by the claim order of their oldest job.

  private heapInsert(t: EndpointQueue<J>): void {
    t.heapAt = this.heap.length;
    this.heap.push(t);
    this.heapUp(t);
  }

  private heapRemove(t: EndpointQueue<J>): EndpointQueue<J> {
    const last = this.heap.pop()!;
    if (last !== t) {
      this.heap[t.heapAt] = last;
      last.heapAt = t.heapAt;
      this.heapUp(last);
      this.heapDown(last);
    }
    t.heapAt = -1;
    return t;
  }

  private heapUp(t: EndpointQueue<J>): void {
    const h = this.heap;
    let i = t.heapAt;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.head <= t.head) break;
      this.heapPlace(h[parent]!, i);
      i = parent;
    }
    this.heapPlace(t, i);
  }

  private heapDown(t: EndpointQueue<J>): void {
    const h = this.heap;
    let i = t.heapAt;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= h.length) break;
      const right = left + 1;
      const child = right < h.length && h[right]!.head < h[left]!.head ? right : left;
      if (h[child]!.head >= t.head) break;
      this.heapPlace(h[child]!, i);
      i = child;
    }
    this.heapPlace(t, i);
  }

  private heapPlace(t: EndpointQueue<J>, i: number): void {
    this.heap[i] = t;
    t.heapAt = i;
  }
}
