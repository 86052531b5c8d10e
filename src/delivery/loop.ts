// The delivery loop (docs/architecture.md), as the story of one turn: write the outcomes
// gathered since the last turn and claim due rows, in one record (outcome-writer.ts,
// claimer.ts); queue each claimed row behind its endpoint (endpoint-queues.ts: an endpoint that
// hangs gets a shrinking share of the slots, and its other rows go back for later); start what
// may start, up to DELIVERY_CONCURRENCY requests in flight. Wakes at once on publish, otherwise
// polls every DELIVERY_POLL_MS. Work lives only in the database, so a crash loses nothing:
// expired leases become due again.
import type { Config } from "../config";
import type { ClaimedBatch, ClaimedDelivery, Store } from "../db/store";
import type { Logger } from "../log";
import type { Tracing } from "../tracing/tracing";
import { Claimer, LEASE_MS, LEASE_RENEW_EVERY_MS, WakeTimer } from "./claimer";
import { EndpointQueues, type EndpointJob } from "./endpoint-queues";
import { closeIdleConnections } from "./http1/client";
import { DeliveryMetrics } from "./metrics";
import { OutcomeWriter } from "./outcome-writer";
import { RetentionSchedule } from "./retention";
import { resultFor } from "./attempt-result";
import { SigningKeys } from "./signing-keys";
import type { AttemptOutcome } from "./transport";
import { DiscordBuckets, sendDiscordAlert } from "./transports/discord";
import { headerLines, sendWebhook, type WebhookRequest } from "./transports/http";

export interface DeliveryLoopDeps {
  config: Config;
  store: Store;
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

/**
 * Full garbage collection during sustained delivery: at least this many attempts and this long
 * apart. What a finished request holds outside the JS heap (response buffers, connection
 * bookkeeping) is freed only when its objects are collected, and at thousands of attempts a
 * second the collector's own pacing let the resident size climb past the memory budget before
 * a full collection; one a second keeps it within, at a small cost at full speed.
 */
const GC_EVERY_ATTEMPTS = 4096;
const GC_EVERY_MS = 1000;
/** A renewal that found a write under way tries again this soon. */
const RENEW_RETRY_MS = 50;
/** How often in-flight requests are checked for endpoints that hang (endpoint-queues.ts). */
const SWEEP_EVERY_MS = 250;
/** `last_error` of a row put back before its first attempt (shown by the deliveries API). */
const DEFERRED_REASON = "Not attempted yet: the endpoint let recent attempts time out, so it gets fewer delivery slots until it answers again";

/**
 * A claimed row ready to send: a webhook request, or a Discord alert. `retrySchedule` is its
 * webhook's own (null: the configured one), read with the claim like the rest of the target.
 */
type Job = EndpointJob & { delivery: ClaimedDelivery; traceParent: string | null; retrySchedule: number[] | null } & (
    | { request: WebhookRequest; alert?: undefined }
    | { request?: undefined; alert: { trafficSourceWebhookId: string; eventBody: string } }
  );

export function createDeliveryLoop({ config, store, logger, tracing }: DeliveryLoopDeps): DeliveryLoop {
  const metrics = new DeliveryMetrics();
  const concurrency = config.deliveryConcurrency;
  const policy = { retrySchedule: config.deliveryRetrySchedule, disableAfterHours: config.deliveryDisableAfterHours };
  const transportDeps = { config, trafficSources: store.trafficSources, discordBuckets: new DiscordBuckets() };
  const httpOptions = { timeoutMs: config.deliveryTimeoutMs, allowPrivate: config.deliveryAllowPrivate, proxy: config.deliveryProxy };
  // The attempt line is built only when it will be written (a measurable cost at full speed).
  const logAttempts = logger.enabled("info");
  const claimer = new Claimer(concurrency, LEASE_MS);
  const wakeTimer = new WakeTimer(config.deliveryPollMs, wake);
  const writer = new OutcomeWriter(store.queue, logger, wake);
  const queues = new EndpointQueues<Job>(concurrency, config.deliveryTimeoutMs);
  const keys = new SigningKeys();
  const retention = new RetentionSchedule(store.retention, config.retentionDays, logger);
  /** Every claimed row this process still holds (waiting or in flight): id → lease, renewed while held. */
  const held = new Map<string, string>();

  let sinceGc = 0;
  let lastGcAt = Date.now();
  let state: "new" | "running" | "stopping" | "stopped" = "new";
  let turnScheduled = false;
  let turnAfterWrite = false;
  let pollTimer: ReturnType<typeof setInterval> | undefined;
  let sweepTimer: ReturnType<typeof setInterval> | undefined;
  let renewTimer: ReturnType<typeof setInterval> | undefined;
  let onIdle: (() => void) | undefined;

  function scheduleTurn(): void {
    if (turnScheduled || state === "stopped" || state === "new") return;
    turnScheduled = true;
    setImmediate(turn);
  }

  function wake(): void {
    claimer.wake();
    scheduleTurn();
  }

  async function turn(): Promise<void> {
    turnScheduled = false;
    // A paused writer wakes the loop itself; a write under way has the next turn follow it.
    if (writer.paused) return;
    if (writer.writing) return void (turnAfterWrite = true);
    // Waiting jobs of restricted endpoints have their own bound (endpoint-queues.ts): counted
    // here, a hanging endpoint's queue would hold back claiming other webhooks' rows.
    const outstanding = queues.inFlight + queues.waiting - queues.restrictedWaiting();
    const claim = state === "running" ? claimer.request(outstanding, Date.now()) : null;
    if (!claim && !writer.due(queues.inFlight === 0 || state !== "running")) return writer.flushSoon();
    const batch = await writer.write(claim);
    if (turnAfterWrite) (turnAfterWrite = false), scheduleTurn();
    if (!batch) return;
    // Rows a delivery control put back, or a fifo line's next row, are due then (docs/architecture.md).
    if (batch.wakeAt !== undefined && state === "running") wakeTimer.wakeAt(batch.wakeAt);
    if (claim) {
      claimer.claimed(claim, batch.deliveries.length, batch.putBack);
      admit(batch);
      // Rows given back took no room: look at what else is due now (each such claim moves rows
      // later, so this ends when a claim comes back short).
      if (batch.putBack > 0) scheduleTurn();
    }
    startWaiting();
  }

  /** Claimed rows become jobs behind their endpoints, or go back (skipped, or put back for later). */
  function admit({ deliveries, events, webhooks }: ClaimedBatch): void {
    if (state === "stopped") return;
    const now = Date.now();
    let putBack = 0;
    // Each webhook's own headers as head lines, formatted once per claim.
    const extraHeads = new Map<string, string>();
    for (const delivery of deliveries) {
      // A lease that ran out while this process still held the row (a stalled event loop, a
      // long queue of slow receivers) lets the claim return it again: keep the one job.
      if (held.has(delivery.id)) continue;
      const webhook = delivery.transport === "http" ? webhooks.get(delivery.webhookId!) : undefined;
      if (delivery.transport === "http" && (!webhook || !webhook.active)) {
        skip(delivery, now, webhook ? "Webhook is disabled" : "Webhook no longer exists");
        continue;
      }
      const target = delivery.webhookId ?? `alert:${delivery.trafficSourceWebhookId}`;
      // A retry due for an endpoint whose queue is full takes the place of a waiting first attempt.
      if (!queues.admits(target) && !(delivery.attempts > 0 && putBackWaiting(target, 1, now, true) === 1)) {
        defer(delivery, target, now);
        putBack++;
        continue;
      }
      const event = events.get(delivery.eventId);
      const body = event?.body ?? "";
      const job = {
        delivery, target, isRetry: delivery.attempts > 0, startedAt: 0, seq: 0, slot: -1, traceParent: event?.traceParent ?? null,
        retrySchedule: webhook?.retrySchedule ?? null, timeoutMs: webhook?.timeoutMs ?? undefined,
      };
      held.set(delivery.id, delivery.lease);
      if (delivery.transport === "discord") {
        queues.push({ ...job, alert: { trafficSourceWebhookId: delivery.trafficSourceWebhookId!, eventBody: body } });
      } else {
        let extraHead = extraHeads.get(webhook!.id);
        if (extraHead === undefined) extraHeads.set(webhook!.id, (extraHead = headerLines(webhook!.headers)));
        queues.push({
          ...job,
          request: { url: webhook!.url, eventId: delivery.publicEventId, body, keys: keys.activeKeys(webhook!, now), timeoutMs: job.timeoutMs, extraHead },
        });
      }
    }
    // Rows put back leave room: claim again now rather than when an attempt ends.
    if (putBack > 0) scheduleTurn();
  }

  function startWaiting(): void {
    while (queues.inFlight < concurrency && state !== "stopped") {
      const job = queues.take();
      if (!job) return;
      void attempt(job);
    }
  }

  /** An endpoint's share changed: if it shrank, its waiting jobs beyond the share go back to the database. */
  function shareChanged(target: string, slots: number, reason: string): void {
    logger.info("delivery slots for target changed", { target, slots, of: concurrency, reason });
    putBackWaiting(target, queues.excessQueued(target), Date.now());
  }

  /** Puts up to `count` of `target`'s waiting jobs back in the database (see EndpointQueues.takeBack). */
  function putBackWaiting(target: string, count: number, now: number, firstAttemptsOnly = false): number {
    const jobs = queues.takeBack(target, count, firstAttemptsOnly);
    for (const job of jobs) {
      held.delete(job.delivery.id);
      defer(job.delivery, target, now);
    }
    return jobs.length;
  }

  /** Puts a claimed row back as pending, without an attempt (its endpoint's share is full). */
  function defer(delivery: ClaimedDelivery, target: string, now: number): void {
    queues.touch(target);
    writer.add({
      kind: "deferred", deliveryId: delivery.id, lease: delivery.lease, webhookId: delivery.webhookId, attemptedAt: now,
      durationMs: 0, statusCode: null, responseBody: null, error: DEFERRED_REASON, nextAttemptAt: now + queues.deferMs(target),
    });
    metrics.deferred++;
  }

  function skip(delivery: ClaimedDelivery, now: number, reason: string): void {
    writer.add({
      kind: "skipped", deliveryId: delivery.id, lease: delivery.lease, webhookId: delivery.webhookId, attemptedAt: now,
      durationMs: 0, statusCode: null, responseBody: null, error: reason,
    });
    metrics.record("skipped", delivery.transport, null);
    logger.info("delivery skipped", {
      delivery_id: delivery.id, event_id: delivery.publicEventId, tenant_id: delivery.tenantId, webhook_id: delivery.webhookId, reason,
    });
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
    if (!queues.isRunning(job) || state === "stopped") {
      span?.end(outcome.statusCode, "abandoned", outcome.error);
      return;
    }
    held.delete(delivery.id);
    const limit = queues.finished(job, outcome);
    if (limit !== undefined) shareChanged(job.target, limit, outcome.statusCode === null ? "no answer in time" : "answering again");
    const result = resultFor(delivery, outcome, attemptedAt, policy, job.retrySchedule ?? policy.retrySchedule);
    span?.end(outcome.statusCode, result.kind, result.error);
    writer.add(result);
    // A retry sooner than the next poll is claimed when due, not a poll later.
    if (result.kind === "retry") wakeTimer.wakeAt(result.nextAttemptAt);
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
      delivery_id: delivery.id, event_id: delivery.publicEventId, tenant_id: delivery.tenantId, webhook_id: delivery.webhookId ?? undefined,
      traffic_source_webhook_id: delivery.trafficSourceWebhookId ?? undefined, attempt: delivery.attempts + 1, outcome: result.kind,
      status_code: outcome.statusCode, duration_ms: outcome.durationMs, error: result.error ?? undefined,
    });
    startWaiting();
    if (queues.inFlight === 0) onIdle?.();
    scheduleTurn();
  }

  /** Extends the leases of the rows held, behind the writer's writes (OutcomeWriter.renew). */
  async function renewLeases(): Promise<void> {
    if (held.size === 0 || state === "stopped") return;
    const renewed = await writer.renew(() => [...held].map(([id, lease]) => ({ id, lease })), LEASE_MS);
    if (!renewed) return void setTimeout(renewLeases, RENEW_RETRY_MS);
    if (turnAfterWrite) (turnAfterWrite = false), scheduleTurn();
  }

  function attemptInfo(delivery: ClaimedDelivery) {
    return {
      deliveryId: delivery.id, eventId: delivery.publicEventId, transport: delivery.transport, webhookId: delivery.webhookId,
      trafficSourceWebhookId: delivery.trafficSourceWebhookId, attempt: delivery.attempts + 1,
    };
  }

  return {
    metrics,
    start() {
      if (state !== "new") return;
      state = "running";
      pollTimer = setInterval(wake, config.deliveryPollMs);
      // Hang checks and forgetting idle endpoints, a few times a second whatever the poll interval.
      sweepTimer = setInterval(() => {
        queues.forgetIdle();
        for (const { target, limit } of queues.suspectHangs()) shareChanged(target, limit, "no answer yet");
      }, Math.min(config.deliveryPollMs, SWEEP_EVERY_MS));
      renewTimer = setInterval(renewLeases, LEASE_RENEW_EVERY_MS);
      retention.start();
      scheduleTurn();
    },
    wake,
    async stop(drainMs = Math.min(config.deliveryTimeoutMs, 10_000)) {
      if (state === "stopped" || state === "stopping") return;
      state = "stopping";
      clearInterval(pollTimer);
      clearInterval(sweepTimer);
      wakeTimer.stop();
      retention.stop();
      // Claimed rows that never started go back at once; in-flight ones get the drain, their
      // leases still renewed.
      const notStarted = queues.takeAllWaiting();
      for (const job of notStarted) held.delete(job.delivery.id);
      if (queues.inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, drainMs);
          onIdle = () => (clearTimeout(timer), resolve());
        });
      }
      clearInterval(renewTimer);
      writer.stop();
      const abandoned = [...queues.drain(), ...notStarted].map((job) => job.delivery);
      held.clear();
      state = "stopped";
      try {
        if (writer.pending > 0 && !(await writer.write(null))) throw new Error("the outcomes could not be written");
        const released = await store.queue.release(abandoned, Date.now());
        if (released > 0) logger.warn("delivery: released unfinished leases", { released });
      } catch (e) {
        logger.error("delivery: final write failed; leases will expire instead", { error: String(e) });
      }
      closeIdleConnections();
    },
    isRunning: () => state === "running",
    inFlight: () => queues.inFlight,
  };
}
