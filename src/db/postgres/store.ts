// The Store (db/store.ts) over a pool of PostgreSQL connections shared by every node. Each
// aggregate owns its statements, rendered once when the store is built or built per call from
// the schema's columns (Drizzle); Bun's client prepares each text once per connection.
// Transactions are the pool's (`begin`), one per business step.
import type { SQL } from "bun";
import { drizzle } from "drizzle-orm/bun-sql";
import type { Store } from "../store";
import { PostgresApiKeyStore } from "./api-keys";
import { PostgresDeliveryLog } from "./delivery-log";
import { PostgresDeliveryQueue } from "./delivery-queue";
import { PostgresEventLog } from "./event-log";
import { PostgresEventTypeStore } from "./event-types";
import { PostgresHealth } from "./health";
import { keysetCursors } from "./keyset-page";
import { PostgresLoginThrottleStore } from "./login-throttle";
import { PostgresPublishStore } from "./publish";
import { PostgresRetention } from "./retention";
import { PostgresTenantStore } from "./tenants";
import { PostgresTrafficSources } from "./traffic-sources";
import { nulSafeClient } from "./sql";
import { PostgresSessionStore, PostgresUserStore } from "./users";
import { PostgresWebhookStore } from "./webhooks";

export class PostgresStore implements Store {
  readonly queue: PostgresDeliveryQueue;
  readonly retention: PostgresRetention;
  readonly apiKeys: PostgresApiKeyStore;
  readonly eventTypes: PostgresEventTypeStore;
  readonly tenants: PostgresTenantStore;
  readonly publish: PostgresPublishStore;
  readonly webhooks: PostgresWebhookStore;
  readonly users: PostgresUserStore;
  readonly sessions: PostgresSessionStore;
  readonly loginThrottle: PostgresLoginThrottleStore;
  readonly deliveryLog: PostgresDeliveryLog;
  readonly eventLog: PostgresEventLog;
  readonly trafficSources: PostgresTrafficSources;
  readonly health: PostgresHealth;
  readonly cursors = keysetCursors;

  /** `nodeId` names this node in its leases (docs/scaling.md); stable across restarts to release them at once. */
  constructor(
    readonly client: SQL,
    nodeId = `node-${crypto.randomUUID()}`,
  ) {
    // Statements compiled with sql.ts pass their parameters through withoutNul themselves.
    const db = drizzle({ client: nulSafeClient(client) });
    this.retention = new PostgresRetention(client);
    this.apiKeys = new PostgresApiKeyStore(db);
    this.eventTypes = new PostgresEventTypeStore(db);
    this.tenants = new PostgresTenantStore(db);
    this.publish = new PostgresPublishStore(client);
    this.queue = new PostgresDeliveryQueue(client, nodeId, this.publish);
    this.webhooks = new PostgresWebhookStore(client, this.publish);
    this.users = new PostgresUserStore(db);
    this.sessions = new PostgresSessionStore(db);
    this.loginThrottle = new PostgresLoginThrottleStore(client);
    this.deliveryLog = new PostgresDeliveryLog(db);
    this.eventLog = new PostgresEventLog(db);
    this.trafficSources = new PostgresTrafficSources(db);
    this.health = new PostgresHealth(client);
  }
}
