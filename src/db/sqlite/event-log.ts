// The event log on SQLite: lists walk events_tenant_created_idx, or events_tenant_type_created_idx
// with a type filter, newest first (log-pages.ts).
import type { Database } from "better-sqlite3";
import { sql } from "drizzle-orm";
import type { LogPage, PageRequest } from "../aggregates/delivery-log";
import type { EventFilters, EventLogStore, EventRecord, EventWithDeliveries } from "../aggregates/event-log";
import { deliveries as d, events as e } from "../schema";
import { deliveryRecordColumns, toRecord } from "./delivery-log";
import { allOf, cutPage, NewestFirst, ShapedStatements, type PageStart } from "./log-pages";
import { compile, param } from "./sql";

interface ListShape {
  start: PageStart;
  type: boolean;
  since: boolean;
  until: boolean;
}

type EventRow = EventRecord & { rowId: number; id: string };
const toEvent = ({ rowId: _, id: __, ...event }: EventRow): EventRecord => event;

export class SqliteEventLog implements EventLogStore {
  private readonly page: NewestFirst;
  private readonly lists: ShapedStatements<ListShape>;
  private readonly s;

  constructor(sqlite: Database) {
    const page = (this.page = new NewestFirst(sqlite, e, e.createdAt));
    const columns = sql`${e.id} AS id, coalesce(${e.publicId}, ${e.id}) AS publicId, ${e.type} AS type, ${e.createdAt} AS createdAt, ${e.tenantId} AS tenantId, ${page.rowId} AS rowId`;
    this.lists = new ShapedStatements(
      sqlite,
      (s) => `${s.start}:${+s.type}:${+s.since}:${+s.until}`,
      (s) =>
        sql`SELECT ${columns} FROM ${e}
            WHERE ${allOf([
              sql`${e.tenantId} = ${param("tenantId")}`,
              page.after(s.start),
              s.type ? sql`${e.type} = ${param("type")}` : undefined,
              s.since ? sql`${e.createdAt} >= ${param("since")}` : undefined,
              s.until ? sql`${e.createdAt} < ${param("until")}` : undefined,
            ])}
            ORDER BY ${page.orderBy} LIMIT ${param("limit")}`,
    );
    const deliveryRowId = sql`${d}.rowid`;
    this.s = {
      byPublicId: compile(sqlite, sql`SELECT ${columns}, ${e.body} AS body FROM ${e} WHERE ${e.tenantId} = ${param("tenantId")} AND ${e.publicId} = ${param("publicId")}`),
      deliveries: compile(
        sqlite,
        sql`SELECT ${deliveryRecordColumns(deliveryRowId)} FROM ${d} INNER JOIN ${e} ON ${e.id} = ${d.eventId}
            WHERE ${d.eventId} = ${param("eventId")} ORDER BY ${d.createdAt}, ${d.id} LIMIT ${param("limit")}`,
      ),
      deliveryCount: compile(sqlite, sql`SELECT count(*) FROM ${d} WHERE ${d.eventId} = ${param("eventId")}`).pluck(),
    };
  }

  async list(tenantId: string, filters: EventFilters, request: PageRequest): Promise<LogPage<EventRecord>> {
    const { start, values } = this.page.start(request.cursor);
    const shape = { start, type: filters.type !== undefined, since: filters.since !== undefined, until: filters.until !== undefined };
    const rows = this.lists.get(shape).all({ ...values, ...filters, tenantId, limit: request.limit + 1 }) as EventRow[];
    return cutPage(rows, request.limit, toEvent);
  }

  async get(tenantId: string, publicId: string, deliveriesShown: number): Promise<EventWithDeliveries | null> {
    const row = this.s.byPublicId.get({ tenantId, publicId }) as (EventRow & { body: string }) | undefined;
    if (!row) return null;
    const { body, ...event } = row;
    const deliveries = (this.s.deliveries.all({ eventId: row.id, limit: deliveriesShown }) as Parameters<typeof toRecord>[0][]).map(toRecord);
    const deliveriesTotal = this.s.deliveryCount.get({ eventId: row.id }) as number;
    return { event: toEvent(event), body, deliveries, deliveriesTotal };
  }
}
