// The deliveries table as a work queue shared by every node, on PostgreSQL. A claim takes due
// rows with FOR UPDATE SKIP LOCKED (nodes claiming at once each get other rows, nobody waits)
// through the partial index of unfinished rows, and stamps them with a fresh lease token; every
// outcome write and release matches that token, so a node that stalled past its lease, whose
// rows another node has claimed since, writes nothing. A turn is one transaction: all its
// outcomes, attempt-log rows and webhook updates in one statement (arrays through `unnest`),
// the operational events they cause (events/operational.ts), then the claim and the bodies and
// targets of what it claimed.
import type { SQL as BunSQL } from "bun";
import { sql } from "drizzle-orm";
import { CONTENDED_RETRY_MS, decideFifoLine, earliest, fifoLines, gcra, type ControlledRow } from "../delivery-controls";
import type { AttemptResult, ClaimedBatch, ClaimedDelivery, ClaimRequest, DeliveryQueue, EventBody, WebhookTarget } from "../store";
import { deliveries as d, deliveryAttempts as a, events as e, webhooks as w } from "./schema";
import { bare, compile, int8, int8OrNull, param, pgText, type Runner } from "./sql";
import type { PostgresPublishStore } from "./publish";
import { OPERATIONAL_EVENT_TYPES } from "../../events/catalogue";
import { deliveryExhaustedEvent, webhookDisabledEvent } from "../../events/operational";

/**
 * A lease token: the claiming node's id, then 128 random bits unique per claim (one token covers
 * the rows one claim took). The prefix lets a restarted node find the leases it held before.
 */
const newLeaseToken = (nodeId: string) => `${nodeId}/${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url")}`;

/** The statuses in the due index's predicate; the claim repeats it so the planner can use the index. */
const UNFINISHED = sql`${d.status} in ('pending', 'leased')`;

interface ClaimedRow {
  id: string;
  event_id: string;
  transport: "http" | "discord";
  webhook_id: string | null;
  traffic_source_webhook_id: string | null;
  attempts: number;
  created_at: string | number;
  tenant_id: string;
  fifo: boolean;
  seq: string | number;
}
interface EventRow {
  id: string;
  public_id: string;
  body: string;
  trace_parent: string | null;
}
/** What the record statement says of the outcomes that cause operational events. */
interface RecordedRow {
  /** Rows of fifo lines made due because their head finished. */
  promoted: number;
  /** Deliveries failed for good (exhausted or gone) whose event is not itself operational. */
  finished: FinishedRow[] | string | null;
  /** Webhooks this statement disabled (active until it ran). */
  disabled: DisabledRow[] | string | null;
}
interface FinishedRow {
  delivery_id: string;
  tenant_id: string;
  kind: "exhausted" | "gone";
  attempts: number;
  code: number | null;
  error: string | null;
  reason: string | null;
  at: number;
  event_id: string;
  event_type: string;
  webhook_id: string;
  url: string;
}
interface DisabledRow {
  webhook_id: string;
  tenant_id: string;
  url: string;
  disabled_reason: string;
  by_gone: boolean;
  delivery_id: string;
  at: number;
}
/** json_agg's answer: parsed by the driver or not, null when nothing matched. */
const jsonRows = <T>(value: T[] | string | null): T[] => (value === null ? [] : typeof value === "string" ? (JSON.parse(value) as T[]) : value);

interface TargetRow {
  id: string;
  url: string;
  active: boolean;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: string | number | null;
  retry_schedule: string | null;
  timeout_ms: number | null;
  headers: string | null;
  rate_limit: number | null;
}
interface LockedWebhookRow {
  id: string;
  rate_limit: number | null;
  rate_limit_tat_us: string | number | null;
}
interface BlockerRow {
  id: string;
  pending_before: string | number | null;
  leased_before: string | number | null;
  in_flight: string | number | null;
}

export class PostgresDeliveryQueue implements DeliveryQueue {
  private readonly s = statements();

  /** `nodeId`: this node's name among those sharing the database, stable across its restarts (docs/scaling.md). */
  constructor(
    private readonly client: BunSQL,
    private readonly nodeId: string,
    /** Publishes the operational events inside the turn's transaction. */
    private readonly publish: PostgresPublishStore,
  ) {}

  async recordAndClaim(results: readonly AttemptResult[], claim: ClaimRequest | null): Promise<ClaimedBatch> {
    const claiming = claim !== null && claim.limit > 0;
    if (results.length === 0 && !claiming) return emptyBatch();
    return this.client.begin(async (tx) => {
      let wakeAt: number | undefined;
      if (results.length > 0) {
        const [recorded] = await this.s.record.run(tx, { ...outcomeArrays(results), operational: [...OPERATIONAL_EVENT_TYPES] });
        await this.publishOperationalEvents(tx, recorded!, results);
        // The next row of a fifo line is due now: its head finished.
        if (recorded && recorded.promoted > 0) wakeAt = Date.now();
      }
      const batch = claiming ? await this.claim(tx, claim) : emptyBatch();
      if (wakeAt !== undefined) batch.wakeAt = Math.min(batch.wakeAt ?? wakeAt, wakeAt);
      return batch;
    });
  }

  /**
   * delivery.exhausted for each delivery failed for good, then webhook.disabled for each webhook
   * disabled, in the turn's transaction: a later statement, so the subscribers' join already sees
   * the disabled webhooks inactive.
   */
  private async publishOperationalEvents(tx: Runner, recorded: RecordedRow, results: readonly AttemptResult[]): Promise<void> {
    for (const f of jsonRows(recorded.finished)) {
      await this.publish.announceOn(tx, deliveryExhaustedEvent({
        tenantId: f.tenant_id, deliveryId: f.delivery_id, eventId: f.event_id, eventType: f.event_type, webhookId: f.webhook_id, url: f.url,
        reason: f.kind === "gone" ? "endpoint_gone" : "retries_exhausted", attempts: f.attempts,
        lastStatusCode: f.code, lastError: f.error ?? (f.kind === "gone" ? f.reason : null), at: int8(f.at),
      }));
    }
    for (const w of jsonRows(recorded.disabled)) {
      const cause = results.find((r) => r.deliveryId === w.delivery_id);
      await this.publish.announceOn(tx, webhookDisabledEvent({
        tenantId: w.tenant_id, webhookId: w.webhook_id, url: w.url, reason: w.by_gone ? "endpoint_gone" : "no_success", disabledReason: w.disabled_reason,
        deliveryId: w.delivery_id, lastStatusCode: cause?.statusCode ?? null, lastError: cause?.error ?? null, at: int8(w.at),
      }));
    }
  }

  async release(claims: readonly { id: string; lease: string }[], now: number): Promise<number> {
    if (claims.length === 0) return 0;
    const rows = await this.s.release.run(this.client, { ids: claims.map((c) => c.id), leases: claims.map((c) => c.lease), at: now });
    return rows.length;
  }

  async renew(claims: readonly { id: string; lease: string }[], now: number, leaseMs: number): Promise<number> {
    if (claims.length === 0) return 0;
    const rows = await this.s.renew.run(this.client, { ids: claims.map((c) => c.id), leases: claims.map((c) => c.lease), until: now + leaseMs });
    return rows.length;
  }

  async releaseOwnLeases(now: number): Promise<number> {
    return (await this.s.releaseOwn.run(this.client, { now, prefix: `${this.nodeId}/` })).length;
  }

  private async claim(tx: Runner, claim: ClaimRequest): Promise<ClaimedBatch> {
    const lease = newLeaseToken(this.nodeId);
    const rows = await this.s.claim.run(tx, { now: claim.now, limit: claim.limit, leaseUntil: claim.now + claim.leaseMs, lease });
    if (rows.length === 0) return emptyBatch();
    const eventIds = [...new Set(rows.map((r) => r.event_id))];
    const webhookIds = [...new Set(rows.flatMap((r) => (r.webhook_id ? [r.webhook_id] : [])))];
    const [eventRows, targetRows] = await Promise.all([
      this.s.eventBodies.run(tx, { ids: eventIds }),
      webhookIds.length > 0 ? this.s.webhookTargets.run(tx, { ids: webhookIds }) : Promise.resolve([]),
    ]);
    const events = new Map<string, EventBody>();
    const publicIds = new Map<string, string>();
    for (const r of eventRows) {
      events.set(r.id, { body: r.body, traceParent: r.trace_parent });
      publicIds.set(r.id, r.public_id);
    }
    const webhooks = new Map<string, WebhookTarget>();
    const rateLimited = new Set<string>();
    for (const r of targetRows) {
      if (r.rate_limit !== null) rateLimited.add(r.id);
      webhooks.set(r.id, {
        id: r.id,
        url: r.url,
        active: r.active,
        secret: r.secret,
        previousSecret: r.previous_secret,
        previousSecretExpiresAt: int8OrNull(r.previous_secret_expires_at),
        retrySchedule: r.retry_schedule === null ? null : JSON.parse(r.retry_schedule),
        timeoutMs: r.timeout_ms,
        headers: r.headers === null ? null : JSON.parse(r.headers),
      });
    }
    let putBack = new Map<string, number>();
    if (rateLimited.size > 0 || rows.some((r) => r.fifo)) putBack = await this.applyControls(tx, rows, rateLimited, claim, lease);
    const deliveries = rows.filter((r) => !putBack.has(r.id)).map(
      (r): ClaimedDelivery => ({
        lease,
        id: r.id,
        eventId: r.event_id,
        publicEventId: publicIds.get(r.event_id) ?? r.event_id,
        transport: r.transport,
        webhookId: r.webhook_id,
        trafficSourceWebhookId: r.traffic_source_webhook_id,
        attempts: r.attempts,
        createdAt: int8(r.created_at),
        tenantId: r.tenant_id,
      }),
    );
    return { deliveries, events, webhooks, putBack: putBack.size, wakeAt: earliest(putBack) };
  }

  /**
   * The delivery controls over this claim's rows (db/delivery-controls.ts). Nodes claim at
   * once, and the claim's snapshot may predate another node's commit, so each controlled webhook
   * is first locked (in id order, skipping one another node holds: its rows go back for a
   * moment) and what decides is read after the lock, by later statements that see every claim
   * committed before it. Two nodes thus decide a webhook one after the other: the second sees
   * the first's lease and its theoretical arrival time.
   */
  private async applyControls(tx: Runner, rows: ClaimedRow[], rateLimited: Set<string>, claim: ClaimRequest, lease: string): Promise<Map<string, number>> {
    const { now } = claim;
    const putBack = new Map<string, number>();
    const controlled = rows.map((r): ControlledRow => ({ id: r.id, webhookId: r.webhook_id, seq: int8(r.seq), fifo: r.fifo }));
    const lines = fifoLines(controlled);
    const ids = [...new Set([...lines.keys(), ...rateLimited])].sort();
    const locked = new Map((await this.s.lockWebhooks.run(tx, { ids })).map((r) => [r.id, r]));
    for (const r of controlled) {
      if (r.webhookId !== null && ids.includes(r.webhookId) && !locked.has(r.webhookId)) putBack.set(r.id, now + CONTENDED_RETRY_MS);
    }
    const candidates = [...lines].filter(([webhookId]) => locked.has(webhookId));
    if (candidates.length > 0) {
      const blockers = await this.s.fifoBlockers.run(tx, {
        ids: candidates.map(([, line]) => line[0]!.id),
        webhookIds: candidates.map(([webhookId]) => webhookId),
        seqs: candidates.map(([, line]) => line[0]!.seq),
        now,
        lease,
      });
      const byId = new Map(blockers.map((b) => [b.id, b]));
      for (const [, line] of candidates) {
        const b = byId.get(line[0]!.id)!;
        decideFifoLine(line, { pendingBefore: int8OrNull(b.pending_before), leasedBefore: int8OrNull(b.leased_before), inFlight: int8OrNull(b.in_flight) },
          now, now + claim.leaseMs, putBack);
      }
    }
    const tats: { id: string; tat: number }[] = [];
    for (const webhookId of rateLimited) {
      const w = locked.get(webhookId);
      if (!w || w.rate_limit === null) continue;
      const mine = controlled.filter((r) => r.webhookId === webhookId && !putBack.has(r.id));
      if (mine.length === 0) continue;
      const { admitted, tatUs, dueAt } = gcra(int8OrNull(w.rate_limit_tat_us), w.rate_limit, now, mine.length);
      tats.push({ id: webhookId, tat: tatUs });
      for (let i = admitted; i < mine.length; i++) putBack.set(mine[i]!.id, dueAt[i - admitted]!);
    }
    if (tats.length > 0) await this.s.setTats.run(tx, { ids: tats.map((t) => t.id), tats: tats.map((t) => t.tat) });
    if (putBack.size > 0) await this.s.putBack.run(tx, { ids: [...putBack.keys()], nexts: [...putBack.values()], lease });
    return putBack;
  }
}

const emptyBatch = (): ClaimedBatch => ({ deliveries: [], events: new Map(), webhooks: new Map(), putBack: 0 });

/** The turn's outcomes as one array per column, in order: the parameters of the record statement. */
function outcomeArrays(results: readonly AttemptResult[]) {
  const col = <T>(pick: (r: AttemptResult) => T) => results.map(pick);
  // int8/int4 refuse a fraction, and one refused value would fail every later turn with it.
  const whole = (n: number) => Math.round(n);
  return {
    id: col((r) => r.deliveryId),
    lease: col((r) => r.lease),
    kind: col((r) => r.kind),
    webhook: col((r) => r.webhookId),
    attempted: col((r) => whole(r.attemptedAt)),
    at: col((r) => whole(r.attemptedAt + r.durationMs)),
    duration: col((r) => whole(r.durationMs)),
    code: col((r) => r.statusCode),
    body: col((r) => pgText(r.responseBody)),
    error: col((r) => pgText(r.error)),
    next: col((r) => (r.kind === "retry" || r.kind === "deferred" ? whole(r.nextAttemptAt) : null)),
    since: col((r) => (r.kind === "exhausted" ? whole(r.disableIfSilentSince) : null)),
    reason: col((r) => (r.kind === "gone" ? pgText(r.reason) : r.kind === "exhausted" ? pgText(r.silenceReason) : null)),
  };
}

/** The queue's statements (exported for tests that read their plans). */
export function statements() {
  const byToken = sql`${d.id} = c.id AND ${d.leaseToken} = c.lease AND ${d.status} = 'leased'`;

  return {
    /**
     * One statement for every outcome of a turn. `done` holds the outcomes whose claim still
     * stands (their lease token matches): only those update their row, log an attempt and touch
     * their webhook. Webhook changes are folded into one UPDATE per webhook (a statement may
     * change a row once): the latest success, then the first `gone` of the batch, else the first
     * `exhausted` whose webhook has been silent (no success, counting this batch's) since its cut-off.
     */
    record: compile<RecordedRow>(sql`
      WITH o AS (
        SELECT * FROM unnest(${param("id")}::text[], ${param("lease")}::text[], ${param("kind")}::text[], ${param("webhook")}::text[],
                             ${param("attempted")}::int8[], ${param("at")}::int8[], ${param("duration")}::int4[], ${param("code")}::int4[],
                             ${param("body")}::text[], ${param("error")}::text[], ${param("next")}::int8[], ${param("since")}::int8[],
                             ${param("reason")}::text[])
          WITH ORDINALITY AS c(id, lease, kind, webhook_id, attempted_at, at, duration_ms, code, body, error, next_at, since, reason, ord)
      ),
      done AS (
        UPDATE ${d} SET
          ${bare(d.status)} = CASE c.kind WHEN 'delivered' THEN 'delivered' WHEN 'retry' THEN 'pending' WHEN 'deferred' THEN 'pending' ELSE 'failed' END,
          ${bare(d.attempts)} = ${d.attempts} + CASE WHEN c.kind IN ('skipped', 'deferred') THEN 0 ELSE 1 END,
          ${bare(d.nextAttemptAt)} = CASE WHEN c.kind IN ('retry', 'deferred') THEN c.next_at ELSE ${d.nextAttemptAt} END,
          ${bare(d.deliveredAt)} = CASE WHEN c.kind = 'delivered' THEN c.at ELSE ${d.deliveredAt} END,
          ${bare(d.lastStatusCode)} = CASE WHEN c.kind = 'deferred' THEN ${d.lastStatusCode} ELSE c.code END,
          -- A row never attempted says why it waits; a deferred retry keeps its last attempt's error.
          ${bare(d.lastError)} = CASE c.kind WHEN 'delivered' THEN NULL
                                             WHEN 'deferred' THEN CASE WHEN ${d.attempts} = 0 THEN c.error ELSE ${d.lastError} END
                                             WHEN 'gone' THEN coalesce(c.error, c.reason)
                                             ELSE c.error END,
          ${bare(d.leaseExpiresAt)} = NULL,
          ${bare(d.leaseToken)} = NULL,
          ${bare(d.updatedAt)} = CASE WHEN c.kind = 'deferred' THEN c.attempted_at ELSE c.at END
        FROM o AS c WHERE ${byToken}
        RETURNING c.*, ${d.attempts} AS attempts, ${d.eventId} AS event_id, ${d.tenantId} AS tenant_id, ${d.fifo} AS fifo
      ),
      -- A fifo line's head that finished lets the line's next row go at once (it waited for the
      -- head's lease or retry: db/delivery-controls.ts). The statement's snapshot still shows the
      -- head leased, so "the next" is the earliest row still pending.
      promoted AS (
        UPDATE ${d} SET ${bare(d.nextAttemptAt)} = n.at
          FROM (SELECT nx.id, min(f.at) AS at FROM done f
                  CROSS JOIN LATERAL (SELECT x.id FROM ${d} x WHERE x.webhook_id = f.webhook_id AND x.fifo AND x.status = 'pending'
                                       ORDER BY x.seq LIMIT 1) nx
                 WHERE f.fifo AND f.kind NOT IN ('retry', 'deferred') GROUP BY nx.id) n
         WHERE ${d.id} = n.id AND ${d.nextAttemptAt} > n.at
        RETURNING 1
      ),
      logged AS (
        INSERT INTO ${a} (${bare(a.deliveryId)}, ${bare(a.attemptedAt)}, ${bare(a.durationMs)}, ${bare(a.statusCode)}, ${bare(a.responseBody)}, ${bare(a.error)})
        SELECT id, attempted_at, duration_ms, code, body, error FROM done WHERE kind NOT IN ('skipped', 'deferred') ORDER BY ord
      ),
      per_webhook AS (
        SELECT webhook_id,
               max(at) FILTER (WHERE kind = 'delivered') AS succeeded_at,
               (array_agg(reason ORDER BY ord) FILTER (WHERE kind = 'gone'))[1] AS gone_reason,
               (array_agg(at ORDER BY ord) FILTER (WHERE kind = 'gone'))[1] AS gone_at,
               (array_agg(id ORDER BY ord) FILTER (WHERE kind = 'gone'))[1] AS gone_delivery
          FROM done WHERE webhook_id IS NOT NULL AND kind IN ('delivered', 'gone', 'exhausted') GROUP BY webhook_id
      ),
      silent AS (
        SELECT DISTINCT ON (x.webhook_id) x.webhook_id, x.reason, x.at, x.id AS delivery_id
          FROM done x JOIN ${w} ON ${w.id} = x.webhook_id JOIN per_webhook h ON h.webhook_id = x.webhook_id
         WHERE x.kind = 'exhausted' AND coalesce(h.succeeded_at, ${w.lastSuccessAt}, ${w.createdAt}) < x.since
         ORDER BY x.webhook_id, x.ord
      ),
      -- Nodes lock the webhooks they change in id order: two turns touching the same webhooks
      -- wait for each other instead of deadlocking.
      locked AS (
        SELECT ${w.id}, ${w.active} AS was_active FROM ${w} WHERE ${w.id} IN (SELECT webhook_id FROM per_webhook) ORDER BY ${w.id} FOR NO KEY UPDATE
      ),
      webhook_changes AS (
        UPDATE ${w} SET
          ${bare(w.lastSuccessAt)} = coalesce(h.succeeded_at, ${w.lastSuccessAt}),
          ${bare(w.disabledReason)} = CASE WHEN ${w.active} THEN coalesce(h.gone_reason, s.reason, ${w.disabledReason}) ELSE ${w.disabledReason} END,
          ${bare(w.updatedAt)} = CASE WHEN ${w.active} AND coalesce(h.gone_reason, s.reason) IS NOT NULL THEN coalesce(h.gone_at, s.at) ELSE ${w.updatedAt} END,
          ${bare(w.active)} = ${w.active} AND coalesce(h.gone_reason, s.reason) IS NULL
        FROM locked JOIN per_webhook h ON h.webhook_id = locked.id LEFT JOIN silent s ON s.webhook_id = h.webhook_id
        WHERE ${w.id} = h.webhook_id AND (h.succeeded_at IS NOT NULL OR h.gone_reason IS NOT NULL OR s.reason IS NOT NULL)
        RETURNING ${w.id} AS webhook_id, ${w.tenantId} AS tenant_id, ${w.url} AS url, ${w.disabledReason} AS disabled_reason,
                  locked.was_active AND NOT ${w.active} AS disabled_now, h.gone_reason IS NOT NULL AS by_gone,
                  coalesce(h.gone_delivery, s.delivery_id) AS delivery_id, coalesce(h.gone_at, s.at) AS at
      )
      -- What the operational events (events/operational.ts) say; a failed delivery of an
      -- operational event announces nothing (no chains of them).
      SELECT (SELECT count(*)::int FROM promoted) AS promoted,
             (SELECT json_agg(json_build_object(
                'delivery_id', x.id, 'tenant_id', x.tenant_id, 'kind', x.kind, 'attempts', x.attempts, 'code', x.code, 'error', x.error,
                'reason', x.reason, 'at', x.at, 'event_id', coalesce(${e.publicId}, ${e.id}), 'event_type', ${e.type}, 'webhook_id', x.webhook_id, 'url', ${w.url})
                ORDER BY x.ord)
                FROM done x JOIN ${e} ON ${e.id} = x.event_id JOIN ${w} ON ${w.id} = x.webhook_id
               WHERE x.kind IN ('exhausted', 'gone') AND ${e.type} <> ALL(${param("operational")}::text[])) AS finished,
             (SELECT json_agg(json_build_object(
                'webhook_id', c.webhook_id, 'tenant_id', c.tenant_id, 'url', c.url, 'disabled_reason', c.disabled_reason, 'by_gone', c.by_gone,
                'delivery_id', c.delivery_id, 'at', c.at) ORDER BY c.webhook_id)
                FROM webhook_changes c WHERE c.disabled_now) AS disabled`),
    /**
     * Leasing also moves `next_attempt_at` to the lease expiry, so an expired lease is simply a
     * `leased` row that is due again, found through the same index. Rows another node is
     * claiming right now are skipped, not waited for.
     */
    claim: compile<ClaimedRow>(sql`
      WITH due AS (
        SELECT ${d.id} FROM ${d} WHERE ${UNFINISHED} AND ${d.nextAttemptAt} <= ${param("now")}
         ORDER BY ${d.nextAttemptAt} LIMIT ${param("limit")} FOR UPDATE SKIP LOCKED
      ),
      claimed AS (
        UPDATE ${d} SET ${bare(d.status)} = 'leased', ${bare(d.leaseToken)} = ${param("lease")},
                        ${bare(d.leaseExpiresAt)} = ${param("leaseUntil")}, ${bare(d.nextAttemptAt)} = ${param("leaseUntil")}, ${bare(d.updatedAt)} = ${param("now")}
          FROM due WHERE ${d.id} = due.id
        RETURNING ${d.id}, ${d.eventId}, ${d.transport}, ${d.webhookId}, ${d.trafficSourceWebhookId}, ${d.attempts}, ${d.createdAt}, ${d.tenantId},
                  ${d.fifo}, ${d.seq}
      )
      SELECT * FROM claimed ORDER BY created_at, id`),
    /** The controlled webhooks of a claim, locked in id order; one another node holds is left out. */
    lockWebhooks: compile<LockedWebhookRow>(sql`
      SELECT ${w.id}, ${w.rateLimit}, ${w.rateLimitTatUs} FROM ${w} WHERE ${w.id} = ANY(${param("ids")}::text[])
       ORDER BY ${w.id} FOR NO KEY UPDATE SKIP LOCKED`),
    /**
     * What holds each fifo line's candidate back (see db/delivery-controls.ts): seeks of the
     * line's index (webhook, status, seq), never a walk of its backlog.
     */
    fifoBlockers: compile<BlockerRow>(sql`
      SELECT c.id,
             (SELECT x.next_attempt_at FROM ${d} x WHERE x.webhook_id = c.webhook_id AND x.fifo AND x.status = 'pending' AND x.seq < c.seq
               ORDER BY x.seq LIMIT 1) AS pending_before,
             (SELECT x.next_attempt_at FROM ${d} x WHERE x.webhook_id = c.webhook_id AND x.fifo AND x.status = 'leased' AND x.seq < c.seq
               ORDER BY x.seq LIMIT 1) AS leased_before,
             (SELECT max(x.next_attempt_at) FROM ${d} x WHERE x.webhook_id = c.webhook_id AND x.fifo AND x.status = 'leased'
                 AND x.next_attempt_at > ${param("now")}::int8 AND x.lease_token IS DISTINCT FROM ${param("lease")}::text) AS in_flight
        FROM unnest(${param("ids")}::text[], ${param("webhookIds")}::text[], ${param("seqs")}::int8[]) AS c(id, webhook_id, seq)`),
    setTats: compile(sql`
      UPDATE ${w} SET ${bare(w.rateLimitTatUs)} = c.tat FROM unnest(${param("ids")}::text[], ${param("tats")}::int8[]) AS c(id, tat)
       WHERE ${w.id} = c.id`),
    /** Claimed rows a delivery control holds back: pending again, due at their time; not attempts. */
    putBack: compile(sql`
      UPDATE ${d} SET ${bare(d.status)} = 'pending', ${bare(d.nextAttemptAt)} = c.next, ${bare(d.leaseExpiresAt)} = NULL, ${bare(d.leaseToken)} = NULL
        FROM unnest(${param("ids")}::text[], ${param("nexts")}::int8[]) AS c(id, next)
       WHERE ${d.id} = c.id AND ${d.leaseToken} = ${param("lease")}`),
    eventBodies: compile<EventRow>(sql`
      SELECT ${e.id}, coalesce(${e.publicId}, ${e.id}) AS public_id, ${e.body}, ${e.traceParent}
        FROM ${e} WHERE ${e.id} = ANY(${param("ids")}::text[])`),
    webhookTargets: compile<TargetRow>(sql`
      SELECT ${w.id}, ${w.url}, ${w.active}, ${w.secret}, ${w.previousSecret}, ${w.previousSecretExpiresAt},
             ${w.retrySchedule}, ${w.timeoutMs}, ${w.headers}, ${w.rateLimit}
        FROM ${w} WHERE ${w.id} = ANY(${param("ids")}::text[])`),
    release: compile(sql`
      UPDATE ${d} SET ${bare(d.status)} = 'pending', ${bare(d.nextAttemptAt)} = ${param("at")}, ${bare(d.leaseExpiresAt)} = NULL,
                      ${bare(d.leaseToken)} = NULL, ${bare(d.updatedAt)} = ${param("at")}
        FROM unnest(${param("ids")}::text[], ${param("leases")}::text[]) AS c(id, lease)
       WHERE ${byToken}
      RETURNING ${d.id}`),
    renew: compile(sql`
      UPDATE ${d} SET ${bare(d.leaseExpiresAt)} = ${param("until")}, ${bare(d.nextAttemptAt)} = ${param("until")}
        FROM unnest(${param("ids")}::text[], ${param("leases")}::text[]) AS c(id, lease)
       WHERE ${byToken}
      RETURNING ${d.id}`),
    // starts_with, not LIKE: a node id may hold % or _.
    releaseOwn: compile(sql`
      UPDATE ${d} SET ${bare(d.status)} = 'pending', ${bare(d.nextAttemptAt)} = ${param("now")}, ${bare(d.leaseExpiresAt)} = NULL,
                      ${bare(d.leaseToken)} = NULL, ${bare(d.updatedAt)} = ${param("now")}
       WHERE ${UNFINISHED} AND ${d.status} = 'leased' AND starts_with(${d.leaseToken}, ${param("prefix")})
      RETURNING ${d.id}`),
  };
}
