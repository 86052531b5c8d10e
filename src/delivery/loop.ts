// The delivery loop (DESIGN.md §5): claims due rows under a lease, keeps up to
// DELIVERY_CONCURRENCY requests in flight, and writes outcomes back in one transaction per
// turn of the event loop. Wakes at once on publish, otherwise polls every DELIVERY_POLL_MS.
// Work lives only in the database, so a crash loses nothing: expired leases become due again.
import type { Config } from "../config";
import type { Db } from "../db/client";
import type { Logger } from "../log";
import { DeliveryMetrics } from "./metrics";
import { claimDueDeliveries, loadEventBodies, loadWebhookTargets, recordResults, releaseLeases, type AttemptResult, type ClaimedDelivery, type WebhookTargetRow } from "./queue";
import { purgeExpired } from "./retention";
import { resultFor } from "./schedule";
import { signingKey } from "./sign";
import type { AttemptOutcome } from "./transport";
import { sendDiscordAlert } from "./transports/discord";
import { sendWebhook } from "./transports/http";

export interface DeliveryLoopDeps {
  config: Config;
  db: Db;
  logger: Logger;
}

export interface DeliveryLoop {
  readonly metrics: DeliveryMetrics;
  start(): void;
  /** New work was committed: claim now rather than at the next poll. */
  wake(): void;
  /** Stops claiming, waits up to `drainMs` for requests in flight, then releases what is left. */
  stop(drainMs?: number): Promise<void>;
  isRunning(): boolean;
  inFlight(): number;
}

const RETENTION_EVERY_MS = 60 * 60 * 1000;

/** A lease outlives the request it covers (timeout) with room to record the result. */
export function leaseMsFor(config: Config): number {
  return 2 * config.deliveryTimeoutMs + 1000;
}

export function createDeliveryLoop({ config, db, logger }: DeliveryLoopDeps): DeliveryLoop {
  const metrics = new DeliveryMetrics();
  const concurrency = config.deliveryConcurrency;
  // Wait for a few free slots before claiming again, so a busy loop claims in batches.
  const minClaim = inFlightThreshold(concurrency);
  const leaseMs = leaseMsFor(config);
  const policy = { retrySchedule: config.deliveryRetrySchedule, disableAfterHours: config.deliveryDisableAfterHours };
  const silenceReason = `No successful delivery for ${config.deliveryDisableAfterHours} hours`;
  const transportDeps = { config, db };

  let state: "new" | "running" | "stopping" | "stopped" = "new";
  const inFlightIds = new Set<string>();
  let results: AttemptResult[] = [];
  let turnScheduled = false;
  let pollTimer: ReturnType<typeof setInterval> | undefined;
  let retentionTimer: ReturnType<typeof setInterval> | undefined;
  let onIdle: (() => void) | undefined;

  function scheduleTurn(): void {
    if (turnScheduled || state === "stopped" || state === "new") return;
    turnScheduled = true;
    setImmediate(turn);
  }

  function flush(): void {
    if (results.length === 0) return;
    const batch = results;
    results = [];
    try {
      recordResults(db, batch, silenceReason);
    } catch (e) {
      // Keep them for the next turn; if the process dies first, the leases expire and the
      // deliveries are simply attempted again (at-least-once).
      results = batch.concat(results);
      logger.error("delivery: recording results failed", { error: String(e), pending: results.length });
    }
  }

  function turn(): void {
    turnScheduled = false;
    flush();
    if (state !== "running") return;
    const free = concurrency - inFlightIds.size;
    if (free <= 0 || (inFlightIds.size > 0 && free < minClaim)) return;
    let claimed: ClaimedDelivery[];
    try {
      claimed = claimDueDeliveries(db, Date.now(), free, leaseMs);
      if (claimed.length > 0) dispatch(claimed);
    } catch (e) {
      logger.error("delivery: claiming failed", { error: String(e) });
      return;
    }
  }

  function dispatch(claimed: ClaimedDelivery[]): void {
    const bodies = loadEventBodies(db, [...new Set(claimed.map((c) => c.eventId))]);
    const webhookIds = [...new Set(claimed.flatMap((c) => (c.webhookId ? [c.webhookId] : [])))];
    const webhooks = webhookIds.length > 0 ? loadWebhookTargets(db, webhookIds) : new Map<string, WebhookTargetRow>();
    const keyCache = new Map<string, Buffer[]>();
    const now = Date.now();
    for (const delivery of claimed) {
      const body = bodies.get(delivery.eventId) ?? "";
      inFlightIds.add(delivery.id);
      if (delivery.transport === "discord") {
        void attempt(delivery, () => sendDiscordAlert(transportDeps, { alertWebhookId: delivery.alertWebhookId!, eventBody: body }, config.deliveryTimeoutMs));
        continue;
      }
      const webhook = webhooks.get(delivery.webhookId!);
      if (!webhook || !webhook.active) {
        skip(delivery, now, webhook ? "Webhook is disabled" : "Webhook no longer exists");
        continue;
      }
      let keys = keyCache.get(webhook.id);
      if (!keys) keyCache.set(webhook.id, (keys = activeKeys(webhook, now)));
      const request = { url: webhook.url, eventId: delivery.eventId, body, keys };
      void attempt(delivery, () => sendWebhook(request, { timeoutMs: config.deliveryTimeoutMs, allowPrivate: config.deliveryAllowPrivate }));
    }
  }

  function skip(delivery: ClaimedDelivery, now: number, reason: string): void {
    inFlightIds.delete(delivery.id);
    const result: AttemptResult = {
      kind: "skipped", deliveryId: delivery.id, webhookId: delivery.webhookId, attemptedAt: now,
      durationMs: 0, statusCode: null, responseBody: null, error: reason,
    };
    results.push(result);
    metrics.record("skipped", null);
    logger.info("delivery skipped", { delivery_id: delivery.id, event_id: delivery.eventId, webhook_id: delivery.webhookId, reason });
    scheduleTurn();
  }

  async function attempt(delivery: ClaimedDelivery, send: () => Promise<AttemptOutcome>): Promise<void> {
    const attemptedAt = Date.now();
    let outcome: AttemptOutcome;
    try {
      outcome = await send();
    } catch (e) {
      outcome = { statusCode: null, responseBody: null, error: `Transport failed: ${String(e)}`, durationMs: Date.now() - attemptedAt };
    }
    // After stop() gave up on it, its lease was released and the database may be closed.
    if (!inFlightIds.delete(delivery.id) || state === "stopped") return;
    const result = resultFor(delivery, outcome, attemptedAt, policy);
    results.push(result);
    metrics.record(result.kind, outcome.durationMs);
    logger.info("delivery attempt", {
      delivery_id: delivery.id, event_id: delivery.eventId, webhook_id: delivery.webhookId ?? undefined,
      alert_webhook_id: delivery.alertWebhookId ?? undefined, attempt: delivery.attempts + 1, outcome: result.kind,
      status_code: outcome.statusCode, duration_ms: outcome.durationMs, error: result.error ?? undefined,
    });
    if (inFlightIds.size === 0) onIdle?.();
    scheduleTurn();
  }

  function runRetention(): void {
    try {
      const purged = purgeExpired(db, config.retentionDays, Date.now());
      if (purged.deliveries + purged.attempts + purged.events > 0) logger.info("retention purge", { ...purged });
    } catch (e) {
      logger.error("retention purge failed", { error: String(e) });
    }
  }

  return {
    metrics,
    start() {
      if (state !== "new") return;
      state = "running";
      pollTimer = setInterval(scheduleTurn, config.deliveryPollMs);
      retentionTimer = setInterval(runRetention, RETENTION_EVERY_MS);
      runRetention();
      scheduleTurn();
    },
    wake: scheduleTurn,
    async stop(drainMs = Math.min(config.deliveryTimeoutMs, 10_000)) {
      if (state === "stopped" || state === "stopping") return;
      state = "stopping";
      clearInterval(pollTimer);
      clearInterval(retentionTimer);
      if (inFlightIds.size > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, drainMs);
          onIdle = () => (clearTimeout(timer), resolve());
        });
      }
      flush();
      const abandoned = [...inFlightIds];
      inFlightIds.clear();
      state = "stopped";
      const released = releaseLeases(db, abandoned, Date.now());
      if (abandoned.length > 0) logger.warn("delivery: released unfinished leases", { released });
    },
    isRunning: () => state === "running",
    inFlight: () => inFlightIds.size,
  };
}

function inFlightThreshold(concurrency: number): number {
  return Math.max(1, Math.floor(concurrency / 8));
}

/** The current secret, plus the previous one while its 24 h overlap lasts. */
function activeKeys(webhook: WebhookTargetRow, now: number): Buffer[] {
  const keys = [signingKey(webhook.secret)];
  if (webhook.previousSecret && webhook.previousSecretExpiresAt !== null && webhook.previousSecretExpiresAt > now) {
    keys.push(signingKey(webhook.previousSecret));
  }
  return keys;
}
