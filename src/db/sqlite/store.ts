// The Store (db/store.ts) over one SQLite connection. Each aggregate owns its statements,
// compiled once when the store is built; their transactions stay synchronous inside it.
import type { Db } from "../client";
import type { Store } from "../store";
import { SqliteDeliveryQueue } from "./delivery-queue";
import { SqliteRetention } from "./retention";
import { SqliteApiKeyStore } from "./api-keys";
import { SqliteLoginThrottleStore } from "./login-throttle";
import { SqliteTenantStore } from "./tenants";
import { SqliteSessionStore, SqliteUserStore } from "./users";
import { SqlitePublishStore } from "./publish";
import { SqliteHealth } from "./health";
import { SqliteDeliveryLog } from "./delivery-log";
import { SqliteEventLog } from "./event-log";
import { SqliteEventTypeStore } from "./event-types";
import { SqliteWebhookStore } from "./webhooks";
import { SqliteTrafficSources } from "./traffic-sources";
import { rowIdCursors } from "./rowid-page";

export class SqliteStore implements Store {
  readonly queue: SqliteDeliveryQueue;
  readonly retention: SqliteRetention;
  readonly tenants: SqliteTenantStore;
  readonly apiKeys: SqliteApiKeyStore;
  readonly users: SqliteUserStore;
  readonly sessions: SqliteSessionStore;
  readonly loginThrottle: SqliteLoginThrottleStore;
  readonly publish: SqlitePublishStore;
  readonly health: SqliteHealth;
  readonly deliveryLog: SqliteDeliveryLog;
  readonly eventLog: SqliteEventLog;
  readonly webhooks: SqliteWebhookStore;
  readonly eventTypes: SqliteEventTypeStore;
  readonly trafficSources: SqliteTrafficSources;
  readonly cursors = rowIdCursors;

  constructor(readonly db: Db) {
    this.retention = new SqliteRetention(db.$client);
    this.tenants = new SqliteTenantStore(db);
    this.apiKeys = new SqliteApiKeyStore(db, this.tenants);
    this.users = new SqliteUserStore(db);
    this.sessions = new SqliteSessionStore(db);
    this.loginThrottle = new SqliteLoginThrottleStore(db);
    this.publish = new SqlitePublishStore(db, this.tenants);
    this.queue = new SqliteDeliveryQueue(db, this.publish);
    this.health = new SqliteHealth(db.$client);
    this.deliveryLog = new SqliteDeliveryLog(db.$client);
    this.eventLog = new SqliteEventLog(db.$client);
    this.webhooks = new SqliteWebhookStore(db, this.publish.outbox);
    this.eventTypes = new SqliteEventTypeStore(db);
    this.trafficSources = new SqliteTrafficSources(db);
  }
}
