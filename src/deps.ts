// What every feature plugin is built from. Tests build their own, over a temp SQLite file.
import type { Config } from "./config";
import type { Db } from "./db/client";
import type { DeliveryMetrics } from "./delivery/metrics";
import type { Logger } from "./log";

export interface AppDeps {
  config: Config;
  db: Db;
  logger: Logger;
  /** Tells the delivery loop that new work was committed, so it claims now instead of at the next poll. */
  wakeDelivery: () => void;
  /** The delivery loop of this process, for /ready and /metrics; absent when none runs (e.g. route tests). */
  delivery?: { isRunning(): boolean; readonly metrics: DeliveryMetrics };
}
