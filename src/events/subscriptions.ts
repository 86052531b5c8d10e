// Which active webhooks of each tenant subscribe to each event type, held in memory per connection. Publishing
// used to find them by scanning every webhook and parsing its `events` JSON: linear in the number
// of webhooks (2.35 ms a publish with 10,000 of them, 1 subscribed). A table of subscriptions
// indexed by type would cost every create a second B-tree insert (+4 of its ~35 µs).
//
// Kept true by:
// - a create through this connection: `webhookCreated` adds it in place (it is the newest);
// - any other write through this connection to a webhook's `events` or `active`, or a delete:
//   the writer calls `webhooksChanged` and the next publish rebuilds (one scan);
// - a commit by another connection (the CLI, another process): `data_version` moves, rebuild;
// - a transaction that failed (db/rollback.ts) after the map was built or added to inside it:
//   the map may hold what it wrote and then lost. (Failures that did not touch the map, such
//   as a refused publish, do not cost a rebuild.)
// It is read inside the publishing transaction, which holds the write lock, so no other process
// can change the webhooks between the check and the inserts. A write to `webhooks` through this
// connection that skips these calls (raw SQL) is not seen: write through links/service.ts, or
// call `webhooksChanged` (tests that prune rows call db/rollback.ts's `forgetDerivedState`).
import type { Db } from "../db/client";
import { dataVersionOf } from "../db/data-version";
import { preparedPer } from "../db/prepared";
import { deriveFromTransactions } from "../db/rollback";

interface Subscriptions {
  generation: number;
  dataVersion: number;
  /** Keyed by subscriptionKey(tenant, type). */
  idsByType: Map<string, string[]>;
}

/** Tenant ids cannot hold a line break (tenants/model.ts), so the key is unambiguous. */
function subscriptionKey(tenantId: string, type: string): string {
  return `${tenantId}\n${type}`;
}

interface State {
  /** Bumped by every local change to webhook subscriptions. */
  generation: number;
  built?: Subscriptions;
  /** The map was built or added to inside a transaction that has not committed yet. */
  uncommitted: boolean;
}

const states = new WeakMap<Db, State>();
const activeWebhooks = preparedPer((db) => db.$client.prepare("SELECT id, tenant_id, events FROM webhooks WHERE active = 1 ORDER BY rowid").raw());

function stateOf(db: Db): State {
  let state = states.get(db);
  if (!state) states.set(db, (state = { generation: 0, uncommitted: false }));
  return state;
}

/** Call after (or while) writing a webhook's events or active flag, or deleting one. */
export function webhooksChanged(db: Db): void {
  stateOf(db).generation++;
}

/**
 * Call after inserting an active webhook. A built, current map gets it in place: with many
 * webhooks, a rebuild after every create would make each publish that follows one a full scan.
 */
export function webhookCreated(db: Db, id: string, tenantId: string, events: readonly string[]): void {
  const state = stateOf(db);
  const built = state.built;
  // No current map: the next publish builds one, with this webhook in it.
  if (!built || built.generation !== state.generation) return;
  if (db.$client.inTransaction) state.uncommitted = true;
  for (const type of new Set(events)) subscribe(built.idsByType, subscriptionKey(tenantId, type), id);
}

function subscribe(idsByType: Map<string, string[]>, key: string, id: string): void {
  const ids = idsByType.get(key);
  if (ids) ids.push(id);
  else idsByType.set(key, [id]);
}

deriveFromTransactions({
  failed(db) {
    const state = stateOf(db);
    if (!state.uncommitted) return;
    state.uncommitted = false;
    state.generation++;
  },
  committed(db) {
    stateOf(db).uncommitted = false;
  },
  forget: webhooksChanged,
});

/** The distinct types of a stored `events` column; nothing for a value the API would never store. */
function typesOf(events: string): Set<string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(events);
  } catch {
    return new Set();
  }
  return new Set(Array.isArray(parsed) ? parsed.filter((type): type is string => typeof type === "string") : []);
}

function build(db: Db): Map<string, string[]> {
  const idsByType = new Map<string, string[]>();
  for (const [id, tenantId, events] of activeWebhooks(db).all() as [string, string, string][]) {
    for (const type of typesOf(events)) subscribe(idsByType, subscriptionKey(tenantId, type), id);
  }
  return idsByType;
}

/** Ids of the tenant's active webhooks subscribed to `type`, oldest first. */
export function subscribedWebhookIds(db: Db, tenantId: string, type: string): readonly string[] {
  const state = stateOf(db);
  const dataVersion = dataVersionOf(db);
  let built = state.built;
  if (!built || built.generation !== state.generation || built.dataVersion !== dataVersion) {
    built = { generation: state.generation, dataVersion, idsByType: build(db) };
    state.built = built;
    if (db.$client.inTransaction) state.uncommitted = true;
  }
  return built.idsByType.get(subscriptionKey(tenantId, type)) ?? [];
}
