// The Store (db/store.ts) over one SQLite connection. Each aggregate owns its statements,
// compiled once when the store is built; their transactions stay synchronous inside it.
import type { Db } from "../client";
import type { Store } from "../store";
import { SqliteDeliveryQueue } from "./delivery-queue";
import { SqliteRetention } from "./retention";
import { SqliteTrafficSources } from "./traffic-sources";

export class SqliteStore implements Store {
  readonly queue: SqliteDeliveryQueue;
  readonly retention: SqliteRetention;
  readonly trafficSources: SqliteTrafficSources;

  constructor(readonly db: Db) {
    this.queue = new SqliteDeliveryQueue(db);
    this.retention = new SqliteRetention(db.$client);
    this.trafficSources = new SqliteTrafficSources(db);
  }
}
