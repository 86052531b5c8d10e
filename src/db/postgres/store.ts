// The Store (db/store.ts) over a pool of PostgreSQL connections shared by every node. Each
// aggregate owns its statements, rendered once when the store is built; Bun's client prepares
// them per connection. Transactions are the pool's (`begin`), one per business step.
import type { SQL } from "bun";
import type { Store } from "../store";
import { PostgresDeliveryQueue } from "./delivery-queue";
import { PostgresRetention } from "./retention";

export class PostgresStore implements Store {
  readonly queue: PostgresDeliveryQueue;
  readonly retention: PostgresRetention;

  constructor(readonly client: SQL) {
    this.queue = new PostgresDeliveryQueue(client);
    this.retention = new PostgresRetention(client);
  }
}
