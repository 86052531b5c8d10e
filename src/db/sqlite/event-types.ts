// Own event types on SQLite: a handful of rows read by primary key (publish and subscribe
// checks) or all at once (the catalogue), every statement built once.
import { asc, eq, sql } from "drizzle-orm";
import type { EventTypeChanges, EventTypeRecord, EventTypeStore } from "../aggregates/event-types";
import type { Db } from "../client";
import { eventTypes as t } from "../schema";

const p = sql.placeholder;

type EventTypeRow = typeof t.$inferSelect;

function toRecord(row: EventTypeRow): EventTypeRecord {
  const { schema, ...rest } = row;
  return { ...rest, schemaJson: schema };
}

function statements(db: Db) {
  return {
    byName: db.select().from(t).where(eq(t.name, p("name"))).prepare(),
    all: db.select().from(t).orderBy(asc(t.name)).prepare(),
    insert: db
      .insert(t)
      .values({ name: p("name"), description: p("description"), schema: p("schema"), archivedAt: p("archivedAt"), createdAt: p("now"), updatedAt: p("now") })
      .prepare(),
    // A null parameter keeps the stored value (`keepSchema`: a PUT may set the schema to null).
    // Archiving again keeps the first archive time.
    update: db
      .update(t)
      .set({
        description: sql`coalesce(${p("description")}, ${t.description})`,
        schema: sql`CASE WHEN ${p("keepSchema")} = 1 THEN ${t.schema} ELSE ${p("schema")} END`,
        archivedAt: sql`CASE ${p("archived")} WHEN 1 THEN coalesce(${t.archivedAt}, ${p("now")}) WHEN 0 THEN NULL ELSE ${t.archivedAt} END`,
        updatedAt: sql`${p("now")}`,
      })
      .where(eq(t.name, p("name")))
      .prepare(),
  };
}

export class SqliteEventTypeStore implements EventTypeStore {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = statements(db);
  }

  async get(name: string): Promise<EventTypeRecord | undefined> {
    const row = this.s.byName.get({ name });
    return row && toRecord(row);
  }

  async list(): Promise<EventTypeRecord[]> {
    return this.s.all.all().map(toRecord);
  }

  async put(name: string, changes: EventTypeChanges, now: number): Promise<{ type: EventTypeRecord; created: boolean }> {
    const archived = changes.archived === undefined ? null : changes.archived ? 1 : 0;
    return this.db.transaction(
      () => {
        const created = !this.s.byName.get({ name });
        if (created) {
          const archivedAt = changes.archived ? now : null;
          this.s.insert.run({ name, description: changes.description ?? "", schema: changes.schemaJson ?? null, archivedAt, now });
        } else {
          const keepSchema = changes.schemaJson === undefined ? 1 : 0;
          this.s.update.run({ name, description: changes.description ?? null, keepSchema, schema: changes.schemaJson ?? null, archived, now });
        }
        return { type: toRecord(this.s.byName.get({ name })!), created };
      },
      { behavior: "immediate" },
    );
  }
}
