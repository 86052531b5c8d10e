// The event log on PostgreSQL, as ../sqlite/event-log.ts: lists walk events_tenant_created_idx,
// or events_tenant_type_created_idx with a type filter, newest first by (created_at, id).
import { and, asc, desc, eq, gte, lt, sql } from "drizzle-orm";
import type { BunSQLDatabase } from "drizzle-orm/bun-sql";
import type { LogPage, PageRequest } from "../aggregates/delivery-log";
import type { EventFilters, EventLogStore, EventRecord, EventWithDeliveries } from "../aggregates/event-log";
import { deliveryCount, deliveryRecord, logPage } from "./delivery-log";
import { beforeCursor } from "./keyset-page";
import { deliveries as d, events as e } from "./schema";

const eventRecord = {
  id: e.id,
  publicId: sql<string>`coalesce(${e.publicId}, ${e.id})`,
  type: e.type,
  createdAt: e.createdAt,
  tenantId: e.tenantId,
};
const toEvent = ({ id: _, ...event }: EventRecord & { id: string }): EventRecord => event;

export class PostgresEventLog implements EventLogStore {
  constructor(private readonly db: BunSQLDatabase) {}

  async list(tenantId: string, filters: EventFilters, request: PageRequest): Promise<LogPage<EventRecord>> {
    const rows = await this.db
      .select(eventRecord)
      .from(e)
      .where(
        and(
          eq(e.tenantId, tenantId),
          beforeCursor(e.createdAt, e.id, request.cursor),
          filters.type !== undefined ? eq(e.type, filters.type) : undefined,
          filters.since !== undefined ? gte(e.createdAt, filters.since) : undefined,
          filters.until !== undefined ? lt(e.createdAt, filters.until) : undefined,
        ),
      )
      .orderBy(desc(e.createdAt), desc(e.id))
      .limit(request.limit + 1);
    return logPage(rows, request.limit, toEvent);
  }

  async get(tenantId: string, publicId: string, deliveriesShown: number): Promise<EventWithDeliveries | null> {
    // One snapshot: the deliveries and their count agree with each other.
    return this.db.transaction(
      async (tx) => {
        const [row] = await tx
          .select({ ...eventRecord, body: e.body })
          .from(e)
          .where(and(eq(e.tenantId, tenantId), eq(e.publicId, publicId)));
        if (!row) return null;
        const { body, ...event } = row;
        const deliveries = await tx
          .select(deliveryRecord)
          .from(d)
          .innerJoin(e, eq(e.id, d.eventId))
          .where(eq(d.eventId, row.id))
          .orderBy(asc(d.createdAt), asc(d.id))
          .limit(deliveriesShown);
        return { event: toEvent(event), body, deliveries, deliveriesTotal: await deliveryCount(tx, row.id) };
      },
      { isolationLevel: "repeatable read", accessMode: "read only" },
    );
  }
}
