// What every feature plugin is built from. Tests build their own, over a temp SQLite file.
import type { Config } from "./config";
import type { Db } from "./db/client";
import type { Logger } from "./log";

export interface AppDeps {
  config: Config;
  db: Db;
  logger: Logger;
  /** Tells the delivery loop that new work was committed, so it claims now instead of at the next poll. */
  wakeDelivery: () => void;
}
