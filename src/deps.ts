// What every feature plugin is built from. Tests build their own, over a temp SQLite file.
import type { Config } from "./config";
import type { Db } from "./db/client";
import type { Store } from "./db/store";
import type { DeliveryMetrics } from "./delivery/metrics";
import type { Logger } from "./log";
import type { AppMetrics } from "./metrics/app-metrics";
import type { Tracing } from "./tracing/tracing";

export interface AppDeps {
  config: Config;
  /** The SQLite connection, when the store is SQLite's (db/open.ts); undefined on PostgreSQL. */
  db: Db | undefined;
  /** The storage boundary (db/store.ts) over the same database. */
  store: Store;
  logger: Logger;
  /** This process's counters for GET /metrics (events published, HTTP requests). */
  metrics: AppMetrics;
  /** Spans for requests and delivery attempts; absent when tracing is off (no OTEL endpoint). */
  tracing?: Tracing;
  /** Tells the delivery loop that new work was committed, so it claims now instead of at the next poll. */
  wakeDelivery: () => void;
  /** The delivery loop of this process, for /ready and /metrics; absent when none runs (e.g. route tests). */
  delivery?: { isRunning(): boolean; readonly metrics: DeliveryMetrics };
}
