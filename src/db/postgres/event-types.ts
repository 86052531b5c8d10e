// Own event types on PostgreSQL: a handful of rows read by primary key or all at once. A PUT is
// one upsert, so two nodes creating the same type at once make one row and one `created`.
import { asc, eq, sql } from "drizzle-orm";
import type { BunSQLDatabase } from "drizzle-orm/bun-sql";
import type { EventTypeChanges, EventTypeRecord, EventTypeStore } from "../aggregates/event-types";
import { eventTypes as t } from "./schema";

const columns = { name: t.name, description: t.description, schemaJson: t.schema, archivedAt: t.archivedAt, createdAt: t.createdAt, updatedAt: t.updatedAt };

export class PostgresEventTypeStore implements EventTypeStore {
  private readonly s;

  constructor(private readonly db: BunSQLDatabase) {
    const p = sql.placeholder;
    this.s = {
      byName: db.select(columns).from(t).where(eq(t.name, p("name"))).prepare("event_type_by_name"),
      all: db.select(columns).from(t).orderBy(asc(t.name)).prepare("event_types_all"),
    };
  }

  async get(name: string): Promise<EventTypeRecord | undefined> {
    return (await this.s.byName.execute({ name }))[0];
  }

  async list(): Promise<EventTypeRecord[]> {
    return this.s.all.execute();
  }

  async put(name: string, changes: EventTypeChanges, now: number): Promise<{ type: EventTypeRecord; created: boolean }> {
    const excluded = (column: typeof t.description | typeof t.schema) => sql.raw(`excluded.${column.name}`);
    const [row] = await this.db
      .insert(t)
      .values({ name, description: changes.description ?? "", schema: changes.schemaJson ?? null, archivedAt: changes.archived ? now : null, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({
        target: t.name,
        // Absent fields keep their value; archiving again keeps the first archive time.
        set: {
          description: changes.description === undefined ? sql`${t.description}` : excluded(t.description),
          schema: changes.schemaJson === undefined ? sql`${t.schema}` : excluded(t.schema),
          archivedAt: changes.archived === undefined ? sql`${t.archivedAt}` : changes.archived ? sql`coalesce(${t.archivedAt}, ${now}::int8)` : null,
          updatedAt: now,
        },
      })
      // xmax is 0 on a row this statement inserted, set on one it updated.
      .returning({ ...columns, created: sql<boolean>`(xmax = 0)` });
    const { created, ...type } = row!;
    return { type, created };
  }
}
