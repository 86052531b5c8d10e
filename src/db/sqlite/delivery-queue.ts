// The deliveries table as a work queue, on SQLite: claim due rows under a lease, record what
// each attempt did, release leases on shutdown. Every statement is compiled once, here; a turn
// of the loop (outcomes, claim, bodies, targets) is one synchronous transaction.
import type { Database } from "better-sqlite3";
import { sql } from "drizzle-orm";
import { isDatabaseBusy, noteWriteLockHeld } from "../busy";
import type { Db } from "../client";
import type { AttemptResult, ClaimedBatch, ClaimedDelivery, ClaimRequest, DeliveryQueue, EventBody, WebhookTarget } from "../store";
import { deliveries as d, deliveryAttempts as a, events as e, webhooks as w } from "../schema";
import { bare, compile, param } from "./sql";

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

type ClaimedRow = Omit<ClaimedDelivery, "lease" | "publicEventId"> & { rowid: number };
type EventRow = EventBody & { id: string; publicId: string };
type TargetRow = Omit<WebhookTarget, "active"> & { active: number };

export class SqliteDeliveryQueue implements DeliveryQueue {
  private readonly s;
  private readonly turn;

  constructor(private readonly db: Db) {
    const sqlite = db.$client;
    this.s = statements(sqlite);
    // Built once: better-sqlite3 builds a new wrapper per transaction() call.
    this.turn = sqlite.transaction((results: readonly AttemptResult[], claim: ClaimRequest | null): ClaimedBatch => {
      this.writeResults(results);
      if (!claim || claim.limit <= 0) return { deliveries: [], events: new Map(), webhooks: new Map() };
      const rows = this.s.claim.all({ now: claim.now, limit: claim.limit, leaseUntil: claim.now + claim.leaseMs }) as ClaimedRow[];
      return this.withBodiesAndTargets(rows);
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

  /** Bodies and signing keys read once per batch, in the claim's transaction. */
  private withBodiesAndTargets(rows: ClaimedRow[]): ClaimedBatch {
    const eventIds = [...new Set(rows.map((r) => r.eventId))];
    const events = new Map<string, EventBody>();
    const publicIds = new Map<string, string>();
    for (const r of this.s.eventBodies.all(JSON.stringify(eventIds)) as EventRow[]) {
      events.set(r.id, { body: r.body, traceParent: r.traceParent });
      publicIds.set(r.id, r.publicId);
    }
    const webhookIds = [...new Set(rows.flatMap((r) => (r.webhookId ? [r.webhookId] : [])))];
    const webhooks = new Map<string, WebhookTarget>();
    if (webhookIds.length > 0) {
      for (const r of this.s.webhookTargets.all(JSON.stringify(webhookIds)) as TargetRow[]) webhooks.set(r.id, { ...r, active: r.active === 1 });
    }
    const claimed = rows.map(({ rowid, ...r }): ClaimedDelivery => ({ ...r, lease: leaseOf(rowid), publicEventId: publicIds.get(r.eventId) ?? r.eventId }));
    return { deliveries: claimed, events, webhooks };
  }

  private writeResults(results: readonly AttemptResult[]): void {
    if (results.length === 0) return;
    const s = this.s;
    const succeeded = new Map<string, number>();
    const silentCandidates: { webhookId: string; since: number; at: number; reason: string }[] = [];
    // A result whose row is gone records nothing more (inserting its attempt would break the
    // foreign key and abort the whole batch, forever).
    const live: AttemptResult[] = [];
    for (const r of results) {
      const at = r.attemptedAt + r.durationMs;
      const common = { rowid: rowidOf(r.lease), id: r.deliveryId, code: r.statusCode, at };
      let changed: number;
      switch (r.kind) {
        case "delivered":
          changed = s.delivered.run(common).changes;
          if (changed && r.webhookId) succeeded.set(r.webhookId, Math.max(at, succeeded.get(r.webhookId) ?? 0));
          break;
        case "retry":
          changed = s.retry.run({ ...common, next: r.nextAttemptAt, error: r.error }).changes;
          break;
        case "exhausted":
          changed = s.failed.run({ ...common, counted: 1, error: r.error }).changes;
          if (changed && r.webhookId) silentCandidates.push({ webhookId: r.webhookId, since: r.disableIfSilentSince, at, reason: r.silenceReason });
          break;
        case "gone":
          changed = s.failed.run({ ...common, counted: 1, error: r.error ?? r.reason }).changes;
          if (changed && r.webhookId) s.disableWebhook.run({ id: r.webhookId, reason: r.reason, at });
          break;
        case "skipped":
          changed = s.failed.run({ ...common, counted: 0, error: r.error }).changes;
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
    for (const c of silentCandidates) s.disableSilentWebhook.run({ id: c.webhookId, since: c.since, at: c.at, reason: c.reason });
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

function statements(sqlite: Database) {
  const rowid = sql`rowid`;
  // Only while the claim stands: an outcome written twice, or for a row released since, is not.
  const byRow = sql`${rowid} = ${param("rowid")} AND ${d.id} = ${param("id")} AND ${d.status} = 'leased'`;
  const attemptRow = sql`(?, ?, ?, ?, ?, ?)`;
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
                 ${bare(d.trafficSourceWebhookId)} AS trafficSourceWebhookId, ${bare(d.attempts)}, ${bare(d.createdAt)} AS createdAt, ${bare(d.tenantId)} AS tenantId`,
    ),
    eventBodies: compile(
      sqlite,
      sql`SELECT ${e.id} AS id, coalesce(${e.publicId}, ${e.id}) AS publicId, ${e.body} AS body, ${e.traceParent} AS traceParent
            FROM ${e} WHERE ${e.id} IN (SELECT value FROM json_each(?))`,
    ),
    webhookTargets: compile(
      sqlite,
      sql`SELECT ${w.id} AS id, ${w.url} AS url, ${w.active} AS active, ${w.secret} AS secret, ${w.previousSecret} AS previousSecret,
                 ${w.previousSecretExpiresAt} AS previousSecretExpiresAt
            FROM ${w} WHERE ${w.id} IN (SELECT value FROM json_each(?))`,
    ),
    insertAttempt: insertAttempts(1),
    insertAttempts: insertAttempts(ATTEMPTS_PER_INSERT),
    delivered: compile(
      sqlite,
      sql`UPDATE ${d} SET ${bare(d.status)} = 'delivered', ${bare(d.attempts)} = ${d.attempts} + 1, ${bare(d.deliveredAt)} = ${param("at")},
                          ${bare(d.lastStatusCode)} = ${param("code")}, ${bare(d.lastError)} = NULL, ${bare(d.leaseExpiresAt)} = NULL,
                          ${bare(d.updatedAt)} = ${param("at")}
           WHERE ${byRow}`,
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
           WHERE ${byRow}`,
    ),
    // A row never attempted says why it waits; a retry keeps its last attempt's error.
    deferred: compile(
      sqlite,
      sql`UPDATE ${d} SET ${bare(d.status)} = 'pending', ${bare(d.nextAttemptAt)} = ${param("next")}, ${bare(d.leaseExpiresAt)} = NULL,
                          ${bare(d.updatedAt)} = ${param("at")},
                          ${bare(d.lastError)} = CASE WHEN ${d.attempts} = 0 THEN ${param("reason")} ELSE ${d.lastError} END
           WHERE ${byRow}`,
    ),
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
