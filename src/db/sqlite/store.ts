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

export class SqliteStore implements Store {
  readonly queue: SqliteDeliveryQueue;
  readonly retention: SqliteRetention;
  readonly tenants: SqliteTenantStore;
  readonly apiKeys: SqliteApiKeyStore;
  readonly users: SqliteUserStore;
  readonly sessions: SqliteSessionStore;
  readonly loginThrottle: SqliteLoginThrottleStore;

  constructor(readonly db: Db) {
    this.queue = new SqliteDeliveryQueue(db);
    this.retention = new SqliteRetention(db.$client);
    this.tenants = new SqliteTenantStore(db);
    this.apiKeys = new SqliteApiKeyStore(db);
    this.users = new SqliteUserStore(db);
    this.sessions = new SqliteSessionStore(db);
    this.loginThrottle = new SqliteLoginThrottleStore(db);
  }
}
