// Which active webhooks subscribe to each event type, held in memory per connection. Publishing
// used to find them by scanning every webhook and parsing its `events` JSON: linear in the number
// of webhooks (2.35 ms a publish with 10,000 of them, 1 subscribed). A table of subscriptions
// indexed by type would cost every create a second B-tree insert (+4 of its ~35 µs).
//
// The map is rebuilt (one scan) on the next publish after anything that can change it:
// - a write through this connection to a webhook's `events` or `active`, or a deletion:
//   the writer calls `webhooksChanged` (links/service.ts, delivery/queue.ts);
// - a commit by another connection (the CLI, another process): `data_version` moves;
// - a group commit that failed: the map may have been built inside it from rows that were then
//   rolled back (db/rollback.ts).
// It is read inside the publishing transaction, which holds the write lock, so no other process
// can change the webhooks between the check and the inserts.
import type { Db } from "../db/client";
import { dataVersionOf } from "../db/data-version";
import { preparedPer } from "../db/prepared";
import { forgetOnRollback } from "../db/rollback";

interface Subscriptions {
  generation: number;
  dataVersion: number;
  idsByType: Map<string, string[]>;
}

interface State {
  /** Bumped by every local change to webhook subscriptions. */
  generation: number;
  built?: Subscriptions;
}

const states = new WeakMap<Db, State>();
const activeWebhooks = preparedPer((db) => db.$client.prepare("SELECT id, events FROM webhooks WHERE active = 1 ORDER BY rowid").raw());

function stateOf(db: Db): State {
  let state = states.get(db);
  if (!state) states.set(db, (state = { generation: 0 }));
  return state;
}

/** Call after (or while) writing a webhook's events or active flag, or deleting one. */
export function webhooksChanged(db: Db): void {
  stateOf(db).generation++;
}

forgetOnRollback(webhooksChanged);

function build(db: Db): Map<string, string[]> {
  const idsByType = new Map<string, string[]>();
  for (const [id, events] of activeWebhooks(db).all() as [string, string][]) {
    for (const type of JSON.parse(events) as string[]) {
      const ids = idsByType.get(type);
      if (ids) ids.push(id);
      else idsByType.set(type, [id]);
    }
  }
  return idsByType;
}

/** Ids of the active webhooks subscribed to `type`, oldest first. */
export function subscribedWebhookIds(db: Db, type: string): readonly string[] {
  const state = stateOf(db);
  const dataVersion = dataVersionOf(db);
  let built = state.built;
  if (!built || built.generation !== state.generation || built.dataVersion !== dataVersion) {
    built = { generation: state.generation, dataVersion, idsByType: build(db) };
    state.built = built;
  }
  return built.idsByType.get(type) ?? [];
}
