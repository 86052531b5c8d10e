// The Store (db/store.ts) over one SQLite connection. Each aggregate owns its statements,
// compiled once when the store is built; their transactions stay synchronous inside it.
import type { Db } from "../client";
import type { Store } from "../store";
import { SqliteDeliveryQueue } from "./delivery-queue";
import { SqliteRetention } from "./retention";
import { SqlitePublishStore } from "./publish";
import { SqliteHealth } from "./health";
import { SqliteDeliveryLog } from "./delivery-log";
import { SqliteEventLog } from "./event-log";

export class SqliteStore implements Store {
  readonly queue: SqliteDeliveryQueue;
  readonly retention: SqliteRetention;
  readonly publish: SqlitePublishStore;
  readonly health: SqliteHealth;
  readonly deliveryLog: SqliteDeliveryLog;
  readonly eventLog: SqliteEventLog;

  constructor(readonly db: Db) {
    this.queue = new SqliteDeliveryQueue(db);
    this.retention = new SqliteRetention(db.$client);
    this.publish = new SqlitePublishStore(db);
    this.health = new SqliteHealth(db.$client);
    this.deliveryLog = new SqliteDeliveryLog(db.$client);
    this.eventLog = new SqliteEventLog(db.$client);
  }
}
