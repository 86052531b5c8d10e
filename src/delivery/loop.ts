// The delivery loop (docs/architecture.md): claims due rows under a lease, keeps up to
// DELIVERY_CONCURRENCY requests in flight (an endpoint that hangs gets a shrinking share of
// them, and its other rows go back for later: target-limits.ts), and writes outcomes back in
// one transaction per turn of the event loop. Wakes at once on publish, otherwise polls every
// DELIVERY_POLL_MS. Work lives only in the database, so a crash loses nothing: expired leases
// become due again.
import type { Config } from "../config";
import { isDatabaseBusy, noteWriteLockHeld } from "../db/busy";
import type { Db } from "../db/client";
import type { Logger } from "../log";
import { DeliveryMetrics } from "./metrics";
import { loadEventBodies, loadWebhookTargets, recordAndClaim, releaseLeases, type AttemptResult, type ClaimedDelivery, type WebhookTargetRow } from "./queue";
import { purgeExpired } from "./retention";
import { resultFor } from "./schedule";
import { signingKey } from "./sign";
import { TargetLimits } from "./target-limits";
import type { AttemptOutcome } from "./transport";
import { DiscordBuckets, sendDiscordAlert } from "./transports/discord";
import { sendWebhook, type WebhookRequest } from "./transports/http";
import { closeIdleConnections } from "./http1/client";
import type { Tracing } from "../tracing/tracing";

export interface DeliveryLoopDeps {
  config: Config;
  db: Db;
  logger: Logger;
  /** Absent when tracing is off: then attempts make no spans at all. */
  tracing?: Tracing;
}

export interface DeliveryLoop {
  readonly metrics: DeliveryMetrics;
  start(): void;
  /** New work was committed: claim now rather than at the next poll. */
  wake(): void;
  /** Stops claiming, waits up to `drainMs` for requests in flight, then releases what is left. */
  stop(drainMs?: number): Promise<void>;
  isRunning(): boolean;
  /** Requests running now. */
  inFlight(): number;
}

const RETENTION_EVERY_MS = 60 * 60 * 1000;
/** The first purge waits a little, so start-up (and a backlog after a restart) come first. */
const RETENTION_FIRST_AFTER_MS = 30_000;
/** Outcomes wait at most this long (or for this many) before they are committed. */
const FLUSH_AFTER_MS = 20;
const FLUSH_AT = 512;
/**
 * Full garbage collection during sustained delivery: at least this many attempts and this long
 * apart. What a finished request holds outside the JS heap (response buffers, connection
 * bookkeeping) is freed only when its objects are collected, and at thousands of attempts a
 * second the collector's own pacing let RSS climb for seconds before a full collection: draining
 * 1M rows peaked at 136-247 MB (4 of 5 runs over the 150 MB budget); an eden-only hint did not
 * hold either (209 MB). A full collection takes 10-20 ms here, so at most one a second costs
 * 1-2 % at full speed, and under light load it runs once per 4,096 attempts. With it: peaks of
 * 125 and 142 MB at one every 2 s, hence once a second for margin. (Measured with fetch; with
 * our own socket client the peak is 124-125 MB with it and 140-142 MB without: still kept.)
 */
const GC_EVERY_ATTEMPTS = 4096;
const GC_EVERY_MS = 1000;
/** How often in-flight requests are checked for targets that hang (target-limits.ts). */
const SWEEP_EVERY_MS = 250;
/** Pauses after failed writes: doubling from the first to the longest. */
const WRITE_PAUSE_FIRST_MS = 100;
const WRITE_PAUSE_MAX_MS = 1000;
/** `last_error` of a row put back before its first attempt (shown by the deliveries API). */
const DEFERRED_REASON = "Not attempted yet: the endpoint let recent attempts time out, so it gets fewer delivery slots until it answers again";
/** Webhooks whose signing keys stay cached; a cleared cache only costs one key decode each. */
const KEY_CACHE_MAX = 10_000;

/**
 * Rows are claimed ahead, up to twice the concurrency, so a claim is one commit for many rows.
 * A claimed row waits behind at most one full round of requests before its own starts, so its
 * lease covers two timeouts, plus one more of slack for recording the result.
 */
export function leaseMsFor(config: Config): number {
  return 3 * config.deliveryTimeoutMs;
}

/**
 * A claimed row ready to send: a webhook request, or a Discord alert; `target` keys its share of
 * the slots; while its attempt runs, `startedAt` is when it started (on the limits' monotonic
 * clock) and `slot` its place in `running`.
 */
type Job = { delivery: ClaimedDelivery; target: string; startedAt: number; slot: number; traceParent: string | null } & (
  | { request: WebhookRequest; alert?: undefined }
  | { request?: undefined; alert: DiscordJob }
);
type DiscordJob = { alertWebhookId: string; eventBody: string };
/** Signing keys of one webhook, kept while its secrets stay the same (HMAC state is cached per key). */
type KeyEntry = { secret: string; previousSecret: string | null; previousUntil: number | null; current: Buffer[]; withPrevious: Buffer[] };

export function createDeliveryLoop({ config, db, logger, tracing }: DeliveryLoopDeps): DeliveryLoop {
  const metrics = new DeliveryMetrics();
  const concurrency = config.deliveryConcurrency;
  const maxOutstanding = 2 * concurrency;
  // Under load, claim only once a full round of rows can be taken: each claim is then one
  // commit for many rows (a commit costs as much as dozens of row writes).
  const minClaim = concurrency;
  const leaseMs = leaseMsFor(config);
  const policy = { retrySchedule: config.deliveryRetrySchedule, disableAfterHours: config.deliveryDisableAfterHours };
  const silenceReason = `No successful delivery for ${config.deliveryDisableAfterHours} hours`;
  const transportDeps = { config, db, discordBuckets: new DiscordBuckets() };
  const httpOptions = { timeoutMs: config.deliveryTimeoutMs, allowPrivate: config.deliveryAllowPrivate, proxy: config.deliveryProxy };
  // The attempt line is built only when it will be written (a measurable cost at full speed).
  const logAttempts = logger.enabled("info");
  const limits = new TargetLimits(concurrency, config.deliveryTimeoutMs);

  let sinceGc = 0;
  let lastGcAt = Date.now();
  let state: "new" | "running" | "stopping" | "stopped" = "new";
  /**
   * The jobs whose attempt is running, at most one per slot (`inFlight` of them). An array of
   * slots rather than a Map or Set keyed by delivery: one that churns thousands of entries a second
   * kept finished jobs (bodies, keys) reachable for a while: +10 MB peak draining 1 M rows.
   */
  const running: (Job | undefined)[] = [];
  const freeSlots: number[] = [];
  let inFlight = 0;
  let waiting: Job[] = [];
  /** Ids of every claimed row this process still holds (waiting or in flight). */
  const held = new Set<string>();
  let results: AttemptResult[] = [];
  /** Set when a claim came back short: nothing more is due until a wake-up or the next poll. */
  let drained = false;
  let turnScheduled = false;
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let pollTimer: ReturnType<typeof setInterval> | undefined;
  let sweepTimer: ReturnType<typeof setInterval> | undefined;
  let retentionTimer: ReturnType<typeof setInterval> | undefined;
  let firstRetention: ReturnType<typeof setTimeout> | undefined;
  let onIdle: (() => void) | undefined;
  /** Set while writes pause after a failed one (see writeFailed). */
  let resumeWritesTimer: ReturnType<typeof setTimeout> | undefined;
  let writePauseMs = 0;

  function scheduleTurn(): void {
    if (turnScheduled || state === "stopped" || state === "new") return;
    turnScheduled = true;
    setImmediate(turn);
  }

  function wake(): void {
    drained = false;
    scheduleTurn();
  }

  function turn(): void {
    turnScheduled = false;
    // The database refused the last write: the resume timer wakes the loop.
    if (writesPaused()) return;
    // Queued jobs of targets held to a smaller share have their own bound (target-limits.ts):
    // counted here, a hanging endpoint's queue would hold back claiming other webhooks' rows.
    const outstanding = inFlight + waiting.length - limits.restrictedWaiting();
    const room = maxOutstanding - outstanding;
    const claim = state === "running" && !drained && (outstanding === 0 || room >= minClaim);
    const flush = results.length >= FLUSH_AT || (results.length > 0 && (claim || inFlight === 0 || state !== "running"));
    if (!claim && !flush) {
      if (results.length > 0 && !flushTimer) flushTimer = setTimeout(forceFlush, FLUSH_AFTER_MS);
      return;
    }
    const batch = results;
    results = [];
    clearTimeout(flushTimer);
    flushTimer = undefined;
    let claimed: ClaimedDelivery[] = [];
    try {
      claimed = recordAndClaim(db, batch, silenceReason, claim ? { now: Date.now(), limit: room, leaseMs } : null);
    } catch (e) {
      // Keep the outcomes for the next turn; if the process dies first, the leases expire and
      // the deliveries are simply attempted again (at-least-once).
      results = batch.concat(results);
      writeFailed(e);
      return;
    }
    writePauseMs = 0;
    if (claim && claimed.length < room) drained = true;
    if (claimed.length > 0) {
      try {
        prepare(claimed);
      } catch (e) {
        // Loading bodies or targets failed (busy, I/O): hand the rows back rather than let an
        // exception escape this callback and end the process; the next turn claims them again.
        const ids = claimed.filter((c) => !held.has(c.id)).map((c) => c.id);
        logger.error("delivery: loading claimed rows failed", { error: String(e), released: ids.length });
        try {
          releaseLeases(db, ids, Date.now());
        } catch {
          // Their leases expire on their own: nothing is lost.
        }
      }
    }
    startWaiting();
  }

  function forceFlush(): void {
    flushTimer = undefined;
    if (results.length === 0 || writesPaused()) return;
    const batch = results;
    results = [];
    try {
      recordAndClaim(db, batch, silenceReason, null);
      writePauseMs = 0;
    } catch (e) {
      results = batch.concat(results);
      writeFailed(e);
    }
  }

  function writesPaused(): boolean {
    return resumeWritesTimer !== undefined;
  }

  /**
   * A write failed (typically: another process held the write lock past the busy timeout).
   * Outcomes stay in memory and writes pause for a while, so the loop does not block the event
   * loop on the lock turn after turn; then it wakes and writes them with the next claim.
   */
  function writeFailed(e: unknown): void {
    const busy = isDatabaseBusy(e);
    if (busy) noteWriteLockHeld(db);
    writePauseMs = Math.min(Math.max(WRITE_PAUSE_FIRST_MS, writePauseMs * 2), WRITE_PAUSE_MAX_MS);
    (busy ? logger.warn : logger.error)(busy ? "delivery: database busy, will retry" : "delivery: database write failed", {
      error: String(e),
      pending_results: results.length,
      retry_in_ms: writePauseMs,
    });
    clearTimeout(flushTimer);
    flushTimer = undefined;
    resumeWritesTimer ??= setTimeout(() => {
      resumeWritesTimer = undefined;
      wake();
    }, writePauseMs);
  }

  /** Turns claimed rows into ready-to-send jobs: bodies and signing keys loaded once per batch. */
  function prepare(claimed: ClaimedDelivery[]): void {
    const bodies = loadEventBodies(db, [...new Set(claimed.map((c) => c.eventId))]);
    const webhookIds = [...new Set(claimed.flatMap((c) => (c.webhookId ? [c.webhookId] : [])))];
    const webhooks = webhookIds.length > 0 ? loadWebhookTargets(db, webhookIds) : new Map<string, WebhookTargetRow>();
    const now = Date.now();
    let deferred = 0;
    for (const delivery of claimed) {
      // A lease that ran out while this process still held the row (a stalled event loop, a
      // long queue of slow receivers) lets the claim return it again: keep the one job.
      if (held.has(delivery.id)) continue;
      const event = bodies.get(delivery.eventId);
      delivery.publicEventId = event?.publicId;
      const webhook = delivery.transport === "http" ? webhooks.get(delivery.webhookId!) : undefined;
      if (delivery.transport === "http" && (!webhook || !webhook.active)) {
        skip(delivery, now, webhook ? "Webhook is disabled" : "Webhook no longer exists");
        continue;
      }
      const target = delivery.webhookId ?? `alert:${delivery.alertWebhookId}`;
      // A retry due for a target whose queue is full takes the place of a queued first attempt.
      if (!limits.admits(target) && !(delivery.attempts > 0 && putBackQueued(target, 1, now, true) === 1)) {
        defer(delivery, target, now);
        deferred++;
        continue;
      }
      const body = event?.body ?? "";
      const traceParent = event?.traceParent ?? null;
      if (delivery.transport === "discord") {
        queue({ delivery, target, startedAt: 0, slot: -1, traceParent, alert: { alertWebhookId: delivery.alertWebhookId!, eventBody: body } });
        continue;
      }
      const request = { url: webhook!.url, eventId: delivery.publicEventId ?? delivery.eventId, body, keys: activeKeys(webhook!, now) };
      queue({ delivery, target, startedAt: 0, slot: -1, traceParent, request });
    }
    // Rows put back leave room: claim again now rather than when an attempt ends.
    if (deferred > 0) scheduleTurn();
  }

  function queue(job: Job): void {
    held.add(job.delivery.id);
    limits.queued(job.target);
    waiting.push(job);
  }

  /** The next waiting job whose target is below its share of the slots, or -1. */
  function nextStartable(): number {
    if (limits.limited === 0 || limits.canStart(waiting[0]!.target)) return 0;
    return waiting.findIndex((job) => limits.canStart(job.target));
  }

  function startWaiting(): void {
    while (inFlight < concurrency && waiting.length > 0 && state !== "stopped") {
      const at = nextStartable();
      if (at < 0) return;
      const job = at === 0 ? waiting.shift()! : waiting.splice(at, 1)[0]!;
      limits.started(job.target);
      job.startedAt = limits.now();
      job.slot = freeSlots.pop() ?? running.length;
      running[job.slot] = job;
      inFlight++;
      void attempt(job);
    }
  }

  /**
   * Called a few times a second: a target whose request has waited too long with no answer from it
   * since is treated as hanging now, not at the timeout (target-limits.ts decides).
   */
  function suspectHangs(): void {
    for (const job of running) {
      const limit = job && limits.suspect(job.target, job.startedAt);
      if (limit !== undefined) shareChanged(job!.target, limit, "no answer yet");
    }
  }

  /** A target's share changed: if it shrank, its queued jobs beyond the share go back to the database. */
  function shareChanged(target: string, slots: number, reason: string): void {
    logger.info("delivery slots for target changed", { target, slots, of: concurrency, reason });
    putBackQueued(target, limits.excessQueued(target), Date.now());
  }

  /**
   * Takes up to `count` of `target`'s queued jobs out of the queue, newest first, and puts their
   * rows back; first attempts go before retries (which keep moving through the retry schedule
   * towards `failed` and auto-disable), and with `firstAttemptsOnly` only they go. Returns how many.
   */
  function putBackQueued(target: string, count: number, now: number, firstAttemptsOnly = false): number {
    let put = 0;
    for (const retries of firstAttemptsOnly ? [false] : [false, true]) {
      for (let i = waiting.length - 1; i >= 0 && put < count; i--) {
        const job = waiting[i]!;
        if (job.target !== target || job.delivery.attempts > 0 !== retries) continue;
        waiting.splice(i, 1);
        held.delete(job.delivery.id);
        limits.dropped(target);
        defer(job.delivery, target, now);
        put++;
      }
    }
    return put;
  }

  /** Puts a claimed row back as pending, without an attempt (its target's share is full). */
  function defer(delivery: ClaimedDelivery, target: string, now: number): void {
    limits.putBack(target);
    results.push({
      kind: "deferred", deliveryId: delivery.id, deliveryRowid: delivery.rowid, webhookId: delivery.webhookId, attemptedAt: now,
      durationMs: 0, statusCode: null, responseBody: null, error: DEFERRED_REASON, nextAttemptAt: now + limits.deferMs(target),
    });
    metrics.deferred++;
  }

  function skip(delivery: ClaimedDelivery, now: number, reason: string): void {
    held.delete(delivery.id);
    results.push({
      kind: "skipped", deliveryId: delivery.id, deliveryRowid: delivery.rowid, webhookId: delivery.webhookId, attemptedAt: now,
      durationMs: 0, statusCode: null, responseBody: null, error: reason,
    });
    metrics.record("skipped", delivery.transport, null);
    logger.info("delivery skipped", {
      delivery_id: delivery.id, event_id: delivery.publicEventId ?? delivery.eventId, tenant_id: delivery.tenantId, webhook_id: delivery.webhookId, reason,
    });
  }

  /** Keys by webhook id, replaced when secrets change; emptied past KEY_CACHE_MAX (deleted webhooks). */
  const keyCache = new Map<string, KeyEntry>();

  /** The current secret, plus the previous one while its 24 h overlap lasts. */
  function activeKeys(webhook: WebhookTargetRow, now: number): Buffer[] {
    let entry = keyCache.get(webhook.id);
    if (
      !entry ||
      entry.secret !== webhook.secret ||
      entry.previousSecret !== webhook.previousSecret ||
      entry.previousUntil !== webhook.previousSecretExpiresAt
    ) {
      const current = [signingKey(webhook.secret)];
      const withPrevious = webhook.previousSecret ? [current[0]!, signingKey(webhook.previousSecret)] : current;
      if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
      entry = { secret: webhook.secret, previousSecret: webhook.previousSecret, previousUntil: webhook.previousSecretExpiresAt, current, withPrevious };
      keyCache.set(webhook.id, entry);
    }
    return entry.previousUntil !== null && entry.previousUntil > now ? entry.withPrevious : entry.current;
  }

  function send(job: Job): Promise<AttemptOutcome> {
    return job.request ? sendWebhook(job.request, httpOptions) : sendDiscordAlert(transportDeps, job.alert, config.deliveryTimeoutMs);
  }

  async function attempt(job: Job): Promise<void> {
    const delivery = job.delivery;
    const attemptedAt = Date.now();
    const span = tracing?.startAttempt(job.traceParent, attemptInfo(delivery), attemptedAt);
    let outcome: AttemptOutcome;
    try {
      outcome = await send(job);
    } catch (e) {
      outcome = { statusCode: null, responseBody: null, error: `Transport failed: ${String(e)}`, durationMs: Date.now() - attemptedAt };
    }
    // After stop() gave up on it, its lease was released and the database may be closed.
    if (running[job.slot] !== job || state === "stopped") {
      span?.end(outcome.statusCode, "abandoned", outcome.error);
      return;
    }
    running[job.slot] = undefined;
    inFlight--;
    freeSlots.push(job.slot);
    held.delete(delivery.id);
    const limit = limits.finished(job.target, outcome, job.startedAt);
    if (limit !== undefined) shareChanged(job.target, limit, outcome.statusCode === null ? "no answer in time" : "answering again");
    const result = resultFor(delivery, outcome, attemptedAt, policy);
    span?.end(outcome.statusCode, result.kind, result.error);
    results.push(result);
    const finishedAt = attemptedAt + outcome.durationMs;
    metrics.record(result.kind, delivery.transport, outcome.durationMs, result.kind === "delivered" ? finishedAt - delivery.createdAt : undefined);
    if (++sinceGc >= GC_EVERY_ATTEMPTS && attemptedAt - lastGcAt >= GC_EVERY_MS) {
      sinceGc = 0;
      lastGcAt = attemptedAt;
      Bun.gc(true);
    }
    // event_id links these lines to the publish request's line (which carries it with its
    // request_id and tenant_id).
    if (logAttempts) logger.info("delivery attempt", {
      delivery_id: delivery.id, event_id: delivery.publicEventId ?? delivery.eventId, tenant_id: delivery.tenantId, webhook_id: delivery.webhookId ?? undefined,
      alert_webhook_id: delivery.alertWebhookId ?? undefined, attempt: delivery.attempts + 1, outcome: result.kind,
      status_code: outcome.statusCode, duration_ms: outcome.durationMs, error: result.error ?? undefined,
    });
    startWaiting();
    if (inFlight === 0) onIdle?.();
    scheduleTurn();
  }

  function attemptInfo(delivery: ClaimedDelivery) {
    return {
      deliveryId: delivery.id, eventId: delivery.publicEventId ?? delivery.eventId, transport: delivery.transport, webhookId: delivery.webhookId,
      alertWebhookId: delivery.alertWebhookId, attempt: delivery.attempts + 1,
    };
  }

  async function runRetention(): Promise<void> {
    try {
      const purged = await purgeExpired(db, config.retentionDays, Date.now(), () => state === "running");
      if (purged.deliveries + purged.attempts + purged.events + purged.portalKeys > 0) logger.info("retention purge", { ...purged });
    } catch (e) {
      logger.error("retention purge failed", { error: String(e) });
    }
  }

  return {
    metrics,
    start() {
      if (state !== "new") return;
      state = "running";
      pollTimer = setInterval(wake, config.deliveryPollMs);
      // Hang checks and forgetting idle targets, a few times a second whatever the poll interval.
      sweepTimer = setInterval(() => {
        limits.forgetIdle();
        if (inFlight > 0) suspectHangs();
      }, Math.min(config.deliveryPollMs, SWEEP_EVERY_MS));
      retentionTimer = setInterval(runRetention, RETENTION_EVERY_MS);
      firstRetention = setTimeout(runRetention, RETENTION_FIRST_AFTER_MS);
      scheduleTurn();
    },
    wake,
    async stop(drainMs = Math.min(config.deliveryTimeoutMs, 10_000)) {
      if (state === "stopped" || state === "stopping") return;
      state = "stopping";
      clearInterval(pollTimer);
      clearInterval(sweepTimer);
      clearInterval(retentionTimer);
      clearTimeout(firstRetention);
      // Claimed rows that never started go back at once; in-flight ones get the drain.
      const notStarted = waiting.map((j) => (limits.dropped(j.target), j.delivery.id));
      waiting = [];
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, drainMs);
          onIdle = () => (clearTimeout(timer), resolve());
        });
      }
      clearTimeout(flushTimer);
      clearTimeout(resumeWritesTimer);
      const abandoned = [...running.flatMap((job) => (job ? [job.delivery.id] : [])), ...notStarted];
      running.length = freeSlots.length = inFlight = 0;
      held.clear();
      state = "stopped";
      try {
        recordAndClaim(db, results, silenceReason, null);
        results = [];
        const released = releaseLeases(db, abandoned, Date.now());
        if (released > 0) logger.warn("delivery: released unfinished leases", { released });
      } catch (e) {
        logger.error("delivery: final write failed; leases will expire instead", { error: String(e) });
      }
      closeIdleConnections();
    },
    isRunning: () => state === "running",
    inFlight: () => inFlight,
  };
}
