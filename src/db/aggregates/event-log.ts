// The event log: what a tenant published, read back exactly.
import type { DeliveryRecord, LogPage, PageRequest } from "./delivery-log";

export interface EventRecord {
  /** The id the tenant knows it by: its own, or the generated one. */
  publicId: string;
  type: string;
  createdAt: number;
  tenantId: string;
}

export interface EventFilters {
  type?: string;
  /** Created at or after (epoch ms). */
  since?: number;
  /** Created before (epoch ms). */
  until?: number;
}

export interface EventWithDeliveries {
  event: EventRecord;
  /** The exact bytes every receiver got. */
  body: string;
  /** The first deliveries, oldest first. */
  deliveries: DeliveryRecord[];
  deliveriesTotal: number;
}

export interface EventLogStore {
  /** One tenant's events, newest first. */
  list(tenantId: string, filters: EventFilters, page: PageRequest): Promise<LogPage<EventRecord>>;
  /** The tenant's event with this public id and its first `deliveriesShown` deliveries; null when none. */
  get(tenantId: string, publicId: string, deliveriesShown: number): Promise<EventWithDeliveries | null>;
}
