// The deliveries table as a work queue, on SQLite: claim due rows under a lease, record what
// each attempt did, release leases on shutdown. Every statement is compiled once, here; a turn
// of the loop (outcomes, the operational events they cause, claim, bodies, targets) is one
// synchronous transaction.
import type { Database } from "better-sqlite3";
import { sql } from "drizzle-orm";
import { isDatabaseBusy, noteWriteLockHeld } from "../busy";
import type { Db } from "../client";
import { decideFifoLine, earliest, fifoLines, gcra, type ControlledRow, type FifoBlockers } from "../delivery-controls";
import type { AttemptResult, ClaimedBatch, ClaimedDelivery, ClaimRequest, DeliveryQueue, EventBody, WebhookTarget } from "../store";
import { deliveries as d, deliveryAttempts as a, events as e, webhooks as w } from "../schema";
import { bare, compile, param } from "./sql";
import type { SqlitePublishStore } from "./publish";
import {
  announcesExhaustion, deliveryExhaustedEvent, webhookDisabledEvent, type DeliveryExhaustedFact, type WebhookDisabledFact,
} from "../../events/operational";

/**
 * A claim's lease is the row's rowid: outcomes update the row through it, one B-tree lookup
 * instead of two (id index, then table), and with the id, so a row deleted while its attempt
 * ran (its webhook was deleted, cascading) whose rowid a later row took is not touched.
 */
const leaseOf = (rowid: number) => String(rowid);
const rowidOf = (lease: string) => Number(lease);

/**
 * Attempt-log rows per INSERT: one statement for 16 rows costs less per row than 16 statements
 * (one AUTOINCREMENT bookkeeping write and one statement run instead of 16).
 */
const ATTEMPTS_PER_INSERT = 16;
const ATTEMPT_COLUMNS = 6;

type ClaimedRow = Omit<ClaimedDelivery, "lease" | "publicEventId"> & { rowid: number; fifo: number };
type EventRow = EventBody & { id: string; publicId: string };
type TargetRow = Omit<WebhookTarget, "active" | "retrySchedule" | "headers"> & {
  active: number;
  retrySchedule: string | null;
  headers: string | null;
  rateLimit: number | null;
  rateLimitTatUs: number | null;
};
/** What an outcome's write returns: whether the row was in a fifo line (its end lets the next one go). */
type FinishedRow = { webhookId: string | null; fifo: number };

function toTarget({ rateLimit: _rate, rateLimitTatUs: _tat, ...r }: TargetRow): WebhookTarget {
  return {
    ...r,
    active: r.active === 1,
    retrySchedule: r.retrySchedule === null ? null : JSON.parse(r.retrySchedule),
    headers: r.headers === null ? null : JSON.parse(r.headers),
  };
}

const emptyBatch = (): ClaimedBatch => ({ deliveries: [], events: new Map(), webhooks: new Map(), putBack: 0 });

export class SqliteDeliveryQueue implements DeliveryQueue {
  private readonly s;
  private readonly turn;

  constructor(
    private readonly db: Db,
    /** Publishes the operational events inside the turn's transaction. */
    private readonly publish: SqlitePublishStore,
  ) {
    const sqlite = db.$client;
    this.s = statements(sqlite);
    // Built once: better-sqlite3 builds a new wrapper per transaction() call.
    this.turn = sqlite.transaction((results: readonly AttemptResult[], claim: ClaimRequest | null): ClaimedBatch => {
      const promoted = this.writeResults(results);
      const wakeAt = promoted ? Date.now() : undefined;
      if (!claim || claim.limit <= 0) return { ...emptyBatch(), wakeAt };
      const rows = this.s.claim.all({ now: claim.now, limit: claim.limit, leaseUntil: claim.now + claim.leaseMs }) as ClaimedRow[];
      const batch = this.withBodiesAndTargets(rows, claim);
      if (wakeAt !== undefined) batch.wakeAt = Math.min(batch.wakeAt ?? wakeAt, wakeAt);
      return batch;
    });
  }

  async recordAndClaim(results: readonly AttemptResult[], claim: ClaimRequest | null): Promise<ClaimedBatch> {
    try {
      // IMMEDIATE: the write lock up front, so the claim cannot meet another writer's snapshot.
      return this.turn.immediate(results, claim);
    } catch (e) {
      // Until the lock is free again, writes stop waiting for it (db/busy.ts).
      if (isDatabaseBusy(e)) noteWriteLockHeld(this.db);
      throw e;
    }
  }

  async release(claims: readonly { id: string; lease: string }[], now: number): Promise<number> {
    if (claims.length === 0) return 0;
    return this.s.release.run({ ids: JSON.stringify(claims.map((c) => c.id)), at: now }).changes;
  }

  async renew(claims: readonly { id: string; lease: string }[], now: number, leaseMs: number): Promise<number> {
    if (claims.length === 0) return 0;
    return this.s.renew.run({ ids: JSON.stringify(claims.map((c) => c.id)), until: now + leaseMs }).changes;
  }

  async releaseOwnLeases(now: number): Promise<number> {
    return this.s.releaseAll.run({ now }).changes;
  }

  /** Bodies and signing keys read once per batch, in the claim's transaction; then the delivery controls, if any row has one. */
  private withBodiesAndTargets(claimedRows: ClaimedRow[], claim: ClaimRequest): ClaimedBatch {
    let rows = claimedRows;
    const eventIds = [...new Set(rows.map((r) => r.eventId))];
    const events = new Map<string, EventBody>();
    const publicIds = new Map<string, string>();
    for (const r of this.s.eventBodies.all(JSON.stringify(eventIds)) as EventRow[]) {
      events.set(r.id, { body: r.body, traceParent: r.traceParent });
      publicIds.set(r.id, r.publicId);
    }
    const webhookIds = [...new Set(rows.flatMap((r) => (r.webhookId ? [r.webhookId] : [])))];
    const webhooks = new Map<string, WebhookTarget>();
    const rateLimited = new Map<string, TargetRow>();
    if (webhookIds.length > 0) {
      for (const r of this.s.webhookTargets.all(JSON.stringify(webhookIds)) as TargetRow[]) {
        webhooks.set(r.id, toTarget(r));
        if (r.rateLimit !== null) rateLimited.set(r.id, r);
      }
    }
    let putBack = new Map<string, number>();
    if (rateLimited.size > 0 || rows.some((r) => r.fifo === 1)) {
      putBack = this.applyControls(rows, rateLimited, claim);
      if (putBack.size > 0) rows = rows.filter((r) => !putBack.has(r.id));
    }
    const claimed = rows.map(({ rowid, fifo: _fifo, ...r }): ClaimedDelivery => ({ ...r, lease: leaseOf(rowid), publicEventId: publicIds.get(r.eventId) ?? r.eventId }));
    return { deliveries: claimed, events, webhooks, putBack: putBack.size, wakeAt: earliest(putBack) };
  }

  /**
   * Fifo lines first, then rate limits over what is left (db/delivery-controls.ts); the rows
   * that go back are pending again, due when decided, with nothing else of theirs changed.
   * One node holds the file (its serve lock) and this runs in the claim's transaction, so what
   * it reads is the whole truth.
   */
  private applyControls(rows: ClaimedRow[], rateLimited: Map<string, TargetRow>, claim: ClaimRequest): Map<string, number> {
    const { now } = claim;
    const leaseUntil = now + claim.leaseMs;
    const putBack = new Map<string, number>();
    const controlled = rows.map((r): ControlledRow => ({ id: r.id, webhookId: r.webhookId, seq: r.rowid, fifo: r.fifo === 1 }));
    const lines = fifoLines(controlled);
    if (lines.size > 0) {
      const claimedRowids = JSON.stringify(controlled.filter((r) => r.fifo).map((r) => r.seq));
      for (const [webhookId, line] of lines) {
        const blockers = this.s.fifoBlockers.get({ webhookId, seq: line[0]!.seq, now, claimed: claimedRowids }) as FifoBlockers;
        decideFifoLine(line, blockers, now, leaseUntil, putBack);
      }
    }
    for (const [webhookId, target] of rateLimited) {
      const mine = rows.filter((r) => r.webhookId === webhookId && !putBack.has(r.id));
      if (mine.length === 0) continue;
      const { admitted, tatUs, dueAt } = gcra(target.rateLimitTatUs, target.rateLimit!, now, mine.length);
      this.s.setTat.run({ id: webhookId, tat: tatUs });
      for (let i = admitted; i < mine.length; i++) putBack.set(mine[i]!.id, dueAt[i - admitted]!);
    }
    const byId = new Map(rows.map((r) => [r.id, r.rowid]));
    for (const [id, next] of putBack) this.s.putBack.run({ rowid: byId.get(id)!, id, next });
    return putBack;
  }

  /** Returns whether a fifo line's next row was made due (its head finished). */
  private writeResults(results: readonly AttemptResult[]): boolean {
    if (results.length === 0) return false;
    const s = this.s;
    let promoted = false;
    // A fifo line's head that finished lets the next row of the line go at once (it went back
    // to wait for the head's lease or retry: db/delivery-controls.ts).
    const ended = (row: FinishedRow | undefined, at: number): number => {
      if (!row) return 0;
      if (row.fifo === 1 && row.webhookId !== null && s.promote.run({ webhookId: row.webhookId, at }).changes > 0) promoted = true;
      return 1;
    };
    const succeeded = new Map<string, number>();
    const silentCandidates: { result: AttemptResult; since: number; at: number; reason: string }[] = [];
    /** Failed for good, in order: each may announce itself (delivery.exhausted). */
    const finished: { result: AttemptResult & { kind: "exhausted" | "gone" }; at: number }[] = [];
    const disabled: { result: AttemptResult; reason: WebhookDisabledFact["reason"]; disabledReason: string; at: number }[] = [];
    // A result whose row is gone records nothing more (inserting its attempt would break the
    // foreign key and abort the whole batch, forever).
    const live: AttemptResult[] = [];
    for (const r of results) {
      const at = r.attemptedAt + r.durationMs;
      const common = { rowid: rowidOf(r.lease), id: r.deliveryId, code: r.statusCode, at };
      let changed: number;
      switch (r.kind) {
        case "delivered":
          changed = ended(s.delivered.get(common) as FinishedRow | undefined, at);
          if (changed && r.webhookId) succeeded.set(r.webhookId, Math.max(at, succeeded.get(r.webhookId) ?? 0));
          break;
        case "retry":
          changed = s.retry.run({ ...common, next: r.nextAttemptAt, error: r.error }).changes;
          break;
        case "exhausted":
          changed = ended(s.failed.get({ ...common, counted: 1, error: r.error }) as FinishedRow | undefined, at);
          if (changed && r.webhookId) {
            silentCandidates.push({ result: r, since: r.disableIfSilentSince, at, reason: r.silenceReason });
            finished.push({ result: r, at });
          }
          break;
        case "gone":
          changed = ended(s.failed.get({ ...common, counted: 1, error: r.error ?? r.reason }) as FinishedRow | undefined, at);
          if (changed && r.webhookId) {
            finished.push({ result: r, at });
            // Changes only a webhook still active: the first reason stays, and it is disabled (and announced) once.
            if (s.disableWebhook.run({ id: r.webhookId, reason: r.reason, at }).changes) disabled.push({ result: r, reason: "endpoint_gone", disabledReason: r.reason, at });
          }
          break;
        case "skipped":
          changed = ended(s.failed.get({ ...common, counted: 0, error: r.error }) as FinishedRow | undefined, at);
          break;
        case "deferred":
          // No attempt was made: nothing to log.
          s.deferred.run({ rowid: common.rowid, id: r.deliveryId, next: r.nextAttemptAt, at: r.attemptedAt, reason: r.error });
          continue;
      }
      if (changed) live.push(r);
    }
    this.insertAttempts(live);
    // Successes first: a success in the same batch resets the auto-disable clock.
    for (const [webhookId, at] of succeeded) s.webhookSucceeded.run({ at, id: webhookId });
    for (const c of silentCandidates) {
      if (s.disableSilentWebhook.run({ id: c.result.webhookId, since: c.since, at: c.at, reason: c.reason }).changes) {
        disabled.push({ result: c.result, reason: "no_success", disabledReason: c.reason, at: c.at });
      }
    }
    this.publishOperationalEvents(finished, disabled);
    return promoted;
  }

  /** delivery.exhausted for each delivery failed for good, then webhook.disabled for each webhook disabled, into the turn's transaction. */
  private publishOperationalEvents(
    finished: { result: AttemptResult & { kind: "exhausted" | "gone" }; at: number }[],
    disabled: { result: AttemptResult; reason: WebhookDisabledFact["reason"]; disabledReason: string; at: number }[],
  ): void {
    for (const { result: r, at } of finished) {
      const row = this.s.finishedDelivery.get({ id: r.deliveryId }) as Omit<DeliveryExhaustedFact, "reason" | "lastStatusCode" | "lastError" | "at"> | undefined;
      if (!row || !announcesExhaustion(row.eventType)) continue;
      const reason = r.kind === "gone" ? "endpoint_gone" : "retries_exhausted";
      this.publish.announceNow(deliveryExhaustedEvent({ ...row, reason, lastStatusCode: r.statusCode, lastError: r.error ?? (r.kind === "gone" ? r.reason : null), at }));
    }
    for (const { result: r, reason, disabledReason, at } of disabled) {
      const webhook = this.s.webhookOwner.get({ id: r.webhookId }) as { tenantId: string; url: string } | undefined;
      if (!webhook) continue;
      this.publish.announceNow(
        webhookDisabledEvent({ ...webhook, webhookId: r.webhookId!, reason, disabledReason, deliveryId: r.deliveryId, lastStatusCode: r.statusCode, lastError: r.error, at }),
      );
    }
  }

  /** One attempt-log row per attempted result, in order, ATTEMPTS_PER_INSERT rows a statement. */
  private insertAttempts(results: AttemptResult[]): void {
    const params: unknown[] = [];
    for (const r of results) {
      if (r.kind === "skipped") continue;
      params.push(r.deliveryId, r.attemptedAt, r.durationMs, r.statusCode, r.responseBody, r.error);
      if (params.length === ATTEMPT_COLUMNS * ATTEMPTS_PER_INSERT) {
        this.s.insertAttempts.run(params);
        params.length = 0;
      }
    }
    for (let i = 0; i < params.length; i += ATTEMPT_COLUMNS) this.s.insertAttempt.run(params.slice(i, i + ATTEMPT_COLUMNS));
  }
}

/** The queue's statements (exported for tests that read their plans). */
export function statements(sqlite: Database) {
  const rowid = sql`rowid`;
  // Only while the claim stands: an outcome written twice, or for a row released since, is not.
  const byRow = sql`${rowid} = ${param("rowid")} AND ${d.id} = ${param("id")} AND ${d.status} = 'leased'`;
  const attemptRow = sql`(?, ?, ?, ?, ?, ?)`;
  // A fifo line: one webhook's ordered rows, through their own index (schema.ts).
  const fifoIndex = sql.raw("INDEXED BY deliveries_fifo_idx");
  const line = sql`x.${bare(d.webhookId)} = ${param("webhookId")} AND x.${bare(d.fifo)} = 1`;
  const insertAttempts = (rows: number) =>
    compile(
      sqlite,
      sql`INSERT INTO ${a} (${bare(a.deliveryId)}, ${bare(a.attemptedAt)}, ${bare(a.durationMs)}, ${bare(a.statusCode)}, ${bare(a.responseBody)}, ${bare(a.error)})
          VALUES ${sql.join(Array(rows).fill(attemptRow), sql`, `)}`,
    );
  /**
   * Each status is read by its own ordered, limited range of the (status, next_attempt_at)
   * index: `status IN (…) ORDER BY` would make SQLite sort every due row first, which is linear
   * in the backlog. Rows are picked by rowid, which the index carries: the subquery never reads
   * the table, and the update finds each row in one B-tree instead of two.
   */
  const due = (status: "leased" | "pending") =>
    sql`SELECT ${rowid} FROM (SELECT ${rowid} FROM ${d} WHERE ${d.status} = ${sql.raw(`'${status}'`)} AND ${d.nextAttemptAt} <= ${param("now")}
                               ORDER BY ${d.nextAttemptAt} LIMIT ${param("limit")})`;
  return {
    /**
     * Leasing also moves `next_attempt_at` to the lease expiry, so an expired lease is simply a
     * `leased` row that is due again, found through the same index.
     */
    claim: compile(
      sqlite,
      sql`UPDATE ${d} SET ${bare(d.status)} = 'leased', ${bare(d.leaseExpiresAt)} = ${param("leaseUntil")}, ${bare(d.nextAttemptAt)} = ${param("leaseUntil")},
                          ${bare(d.updatedAt)} = ${param("now")}
           WHERE ${rowid} IN (${due("leased")} UNION ALL ${due("pending")} LIMIT ${param("limit")})
       RETURNING ${rowid}, ${bare(d.id)}, ${bare(d.eventId)} AS eventId, ${bare(d.transport)}, ${bare(d.webhookId)} AS webhookId,
                 ${bare(d.trafficSourceWebhookId)} AS trafficSourceWebhookId, ${bare(d.attempts)}, ${bare(d.createdAt)} AS createdAt, ${bare(d.tenantId)} AS tenantId,
                 ${bare(d.fifo)}`,
    ),
    /**
     * What holds a fifo line's candidate (rowid `seq`) back: an earlier row still pending or
     * leased, or another row in flight (an unexpired lease this claim did not just take). Seeks
     * of the line's index (webhook, status, rowid), never a walk of its backlog.
     */
    fifoBlockers: compile(
      sqlite,
      sql`SELECT (SELECT x.${bare(d.nextAttemptAt)} FROM ${d} x ${fifoIndex} WHERE ${line} AND x.${bare(d.status)} = 'pending' AND x.rowid < ${param("seq")}
                   ORDER BY x.rowid LIMIT 1) AS pendingBefore,
                 (SELECT x.${bare(d.nextAttemptAt)} FROM ${d} x ${fifoIndex} WHERE ${line} AND x.${bare(d.status)} = 'leased' AND x.rowid < ${param("seq")}
                   ORDER BY x.rowid LIMIT 1) AS leasedBefore,
                 (SELECT max(x.${bare(d.nextAttemptAt)}) FROM ${d} x ${fifoIndex} WHERE ${line} AND x.${bare(d.status)} = 'leased'
                     AND x.${bare(d.nextAttemptAt)} > ${param("now")} AND x.rowid NOT IN (SELECT value FROM json_each(${param("claimed")}))) AS inFlight`,
    ),
    /** The next row of a fifo line, due at once: its head finished. */
    promote: compile(
      sqlite,
      sql`UPDATE ${d} SET ${bare(d.nextAttemptAt)} = ${param("at")}
           WHERE ${rowid} = (SELECT x.rowid FROM ${d} x ${fifoIndex} WHERE ${line} AND x.${bare(d.status)} = 'pending' ORDER BY x.rowid LIMIT 1)
             AND ${d.nextAttemptAt} > ${param("at")}`,
    ),
    /** A claimed row a delivery control holds back: pending again, due at `next`; not an attempt. */
    putBack: compile(
      sqlite,
      sql`UPDATE ${d} SET ${bare(d.status)} = 'pending', ${bare(d.nextAttemptAt)} = ${param("next")}, ${bare(d.leaseExpiresAt)} = NULL
           WHERE ${byRow}`,
    ),
    setTat: compile(sqlite, sql`UPDATE ${w} SET ${bare(w.rateLimitTatUs)} = ${param("tat")} WHERE ${w.id} = ${param("id")}`),
    eventBodies: compile(
      sqlite,
      sql`SELECT ${e.id} AS id, coalesce(${e.publicId}, ${e.id}) AS publicId, ${e.body} AS body, ${e.traceParent} AS traceParent
            FROM ${e} WHERE ${e.id} IN (SELECT value FROM json_each(?))`,
    ),
    webhookTargets: compile(
      sqlite,
      sql`SELECT ${w.id} AS id, ${w.url} AS url, ${w.active} AS active, ${w.secret} AS secret, ${w.previousSecret} AS previousSecret,
                 ${w.previousSecretExpiresAt} AS previousSecretExpiresAt, ${w.retrySchedule} AS retrySchedule, ${w.timeoutMs} AS timeoutMs,
                 ${w.headers} AS headers, ${w.rateLimit} AS rateLimit, ${w.rateLimitTatUs} AS rateLimitTatUs
            FROM ${w} WHERE ${w.id} IN (SELECT value FROM json_each(?))`,
    ),
    insertAttempt: insertAttempts(1),
    insertAttempts: insertAttempts(ATTEMPTS_PER_INSERT),
    delivered: compile(
      sqlite,
      sql`UPDATE ${d} SET ${bare(d.status)} = 'delivered', ${bare(d.attempts)} = ${d.attempts} + 1, ${bare(d.deliveredAt)} = ${param("at")},
                          ${bare(d.lastStatusCode)} = ${param("code")}, ${bare(d.lastError)} = NULL, ${bare(d.leaseExpiresAt)} = NULL,
                          ${bare(d.updatedAt)} = ${param("at")}
           WHERE ${byRow}
       RETURNING ${bare(d.webhookId)} AS webhookId, ${bare(d.fifo)}`,
    ),
    retry: compile(
      sqlite,
      sql`UPDATE ${d} SET ${bare(d.status)} = 'pending', ${bare(d.attempts)} = ${d.attempts} + 1, ${bare(d.nextAttemptAt)} = ${param("next")},
                          ${bare(d.lastStatusCode)} = ${param("code")}, ${bare(d.lastError)} = ${param("error")}, ${bare(d.leaseExpiresAt)} = NULL,
                          ${bare(d.updatedAt)} = ${param("at")}
           WHERE ${byRow}`,
    ),
    failed: compile(
      sqlite,
      sql`UPDATE ${d} SET ${bare(d.status)} = 'failed', ${bare(d.attempts)} = ${d.attempts} + ${param("counted")}, ${bare(d.lastStatusCode)} = ${param("code")},
                          ${bare(d.lastError)} = ${param("error")}, ${bare(d.leaseExpiresAt)} = NULL, ${bare(d.updatedAt)} = ${param("at")}
           WHERE ${byRow}
       RETURNING ${bare(d.webhookId)} AS webhookId, ${bare(d.fifo)}`,
    ),
    // A row never attempted says why it waits; a retry keeps its last attempt's error.
    deferred: compile(
      sqlite,
      sql`UPDATE ${d} SET ${bare(d.status)} = 'pending', ${bare(d.nextAttemptAt)} = ${param("next")}, ${bare(d.leaseExpiresAt)} = NULL,
                          ${bare(d.updatedAt)} = ${param("at")},
                          ${bare(d.lastError)} = CASE WHEN ${d.attempts} = 0 THEN ${param("reason")} ELSE ${d.lastError} END
           WHERE ${byRow}`,
    ),
    /** What a delivery.exhausted says of the delivery: its event and its webhook. */
    finishedDelivery: compile(
      sqlite,
      sql`SELECT ${d.tenantId} AS tenantId, ${d.id} AS deliveryId, coalesce(${e.publicId}, ${e.id}) AS eventId, ${e.type} AS eventType,
                 ${w.id} AS webhookId, ${w.url} AS url, ${d.attempts} AS attempts
            FROM ${d} JOIN ${e} ON ${e.id} = ${d.eventId} JOIN ${w} ON ${w.id} = ${d.webhookId}
           WHERE ${d.id} = ${param("id")}`,
    ),
    webhookOwner: compile(sqlite, sql`SELECT ${w.tenantId} AS tenantId, ${w.url} AS url FROM ${w} WHERE ${w.id} = ${param("id")}`),
    webhookSucceeded: compile(sqlite, sql`UPDATE ${w} SET ${bare(w.lastSuccessAt)} = ${param("at")} WHERE ${w.id} = ${param("id")}`),
    disableWebhook: compile(
      sqlite,
      sql`UPDATE ${w} SET ${bare(w.active)} = 0, ${bare(w.disabledReason)} = ${param("reason")}, ${bare(w.updatedAt)} = ${param("at")}
           WHERE ${w.id} = ${param("id")} AND ${w.active} = 1`,
    ),
    disableSilentWebhook: compile(
      sqlite,
      sql`UPDATE ${w} SET ${bare(w.active)} = 0, ${bare(w.disabledReason)} = ${param("reason")}, ${bare(w.updatedAt)} = ${param("at")}
           WHERE ${w.id} = ${param("id")} AND ${w.active} = 1 AND coalesce(${w.lastSuccessAt}, ${w.createdAt}) < ${param("since")}`,
    ),
    release: compile(
      sqlite,
      sql`UPDATE ${d} SET ${bare(d.status)} = 'pending', ${bare(d.nextAttemptAt)} = ${param("at")}, ${bare(d.leaseExpiresAt)} = NULL, ${bare(d.updatedAt)} = ${param("at")}
           WHERE ${d.id} IN (SELECT value FROM json_each(${param("ids")})) AND ${d.status} = 'leased'`,
    ),
    // One server per file (its serve lock): a leased row is this server's.
    renew: compile(
      sqlite,
      sql`UPDATE ${d} SET ${bare(d.leaseExpiresAt)} = ${param("until")}, ${bare(d.nextAttemptAt)} = ${param("until")}
           WHERE ${d.id} IN (SELECT value FROM json_each(${param("ids")})) AND ${d.status} = 'leased'`,
    ),
    releaseAll: compile(
      sqlite,
      sql`UPDATE ${d} SET ${bare(d.status)} = 'pending', ${bare(d.nextAttemptAt)} = ${param("now")}, ${bare(d.leaseExpiresAt)} = NULL, ${bare(d.updatedAt)} = ${param("now")}
           WHERE ${d.status} = 'leased'`,
    ),
  };
}
