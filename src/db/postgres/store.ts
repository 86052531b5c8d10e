// The Store (db/store.ts) over a pool of PostgreSQL connections shared by every node. Each
// aggregate owns its statements, rendered once when the store is built; Bun's client prepares
// them per connection. Transactions are the pool's (`begin`), one per business step.
import type { SQL } from "bun";
import { drizzle } from "drizzle-orm/bun-sql";
import type { Store } from "../store";
import { PostgresApiKeyStore } from "./api-keys";
import { PostgresDeliveryQueue } from "./delivery-queue";
import { PostgresEventTypeStore } from "./event-types";
import { PostgresPublishStore } from "./publish";
import { PostgresRetention } from "./retention";
import { PostgresTenantStore } from "./tenants";
import { PostgresWebhookStore } from "./webhooks";
import { keysetCursors } from "./keyset-page";
import { PostgresLoginThrottleStore } from "./login-throttle";
import { PostgresSessionStore, PostgresUserStore } from "./users";
import { PostgresDeliveryLog } from "./delivery-log";
import { PostgresEventLog } from "./event-log";
import { PostgresTrafficSources } from "./traffic-sources";

/**
 * The aggregates of `Store` built on PostgreSQL so far (issue 21): the gauges are not yet, so
 * no server runs on this store.
 */
export type PostgresAggregates = Pick<
  Store,
  "queue" | "retention" | "apiKeys" | "eventTypes" | "tenants" | "publish" | "webhooks" | "users" | "sessions" | "loginThrottle" | "deliveryLog" | "eventLog" | "trafficSources" | "cursors"
>;

export class PostgresStore implements PostgresAggregates {
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
  readonly cursors = keysetCursors;

  constructor(readonly client: SQL) {
    const db = drizzle({ client });
    this.queue = new PostgresDeliveryQueue(client);
    this.retention = new PostgresRetention(client);
    this.apiKeys = new PostgresApiKeyStore(db);
    this.eventTypes = new PostgresEventTypeStore(db);
    this.tenants = new PostgresTenantStore(db);
    this.publish = new PostgresPublishStore(client);
    this.webhooks = new PostgresWebhookStore(client, this.publish);
    this.users = new PostgresUserStore(db);
    this.sessions = new PostgresSessionStore(db);
    this.loginThrottle = new PostgresLoginThrottleStore(client);
    this.deliveryLog = new PostgresDeliveryLog(db);
    this.eventLog = new PostgresEventLog(db);
    this.trafficSources = new PostgresTrafficSources(db);
  }
}
