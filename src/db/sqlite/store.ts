// The Store (db/store.ts) over one SQLite connection. Each aggregate owns its statements,
// compiled once when the store is built; their transactions stay synchronous inside it.
import type { Db } from "../client";
import type { Store } from "../store";
import { SqliteDeliveryQueue } from "./delivery-queue";
import { SqliteRetention } from "./retention";
import { SqliteEventTypeStore } from "./event-types";
import { SqliteWebhookStore } from "./webhooks";

export class SqliteStore implements Store {
  readonly queue: SqliteDeliveryQueue;
  readonly retention: SqliteRetention;
  readonly webhooks: SqliteWebhookStore;
  readonly eventTypes: SqliteEventTypeStore;

  constructor(readonly db: Db) {
    this.queue = new SqliteDeliveryQueue(db);
    this.retention = new SqliteRetention(db.$client);
    this.webhooks = new SqliteWebhookStore(db);
    this.eventTypes = new SqliteEventTypeStore(db);
  }
}
