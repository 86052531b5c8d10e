// The event catalogue (docs/api-guide.md#event-types): the built-in types (events/catalogue.ts)
// and the operator's own, shared by every tenant. Publishing checks a type is known and its
// `data` satisfies the type's JSON Schema; subscribing checks it is known and not archived.
// Built-in names are answered from memory; an own type is one primary-key read.
import { asc, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { preparedPer } from "../db/prepared";
import { eventTypes } from "../db/schema";
import { EVENT_TYPE_DESCRIPTIONS, EVENT_TYPES } from "../events/catalogue";
import { Conflict, rejectInvalidFields, type FieldError } from "../http/errors";
import { iso } from "../ids";
import { schemaErrors, schemaProblem } from "./json-schema";
import type { EventTypeInfo, PutEventTypeBody } from "./model";

const BUILT_IN: ReadonlySet<string> = new Set(EVENT_TYPES);
/** Namespaces hookrelay uses or will use for its own events: not for own types. */
const RESERVED_PREFIXES = ["link.", "uptime.", "webhook.", "delivery.", "alert.", "hookrelay."];
const MAX_SCHEMA_BYTES = 64 * 1024;
/** How many names an "unknown type" message lists before pointing at the catalogue. */
const NAMES_IN_MESSAGE = 30;

type EventTypeRow = typeof eventTypes.$inferSelect;

const ownTypeByName = preparedPer((db) => db.select().from(eventTypes).where(eq(eventTypes.name, sql.placeholder("name"))).prepare());

function ownType(db: Db, name: string): EventTypeRow | undefined {
  return ownTypeByName(db).get({ name });
}

function toInfo(row: EventTypeRow): EventTypeInfo {
  return {
    name: row.name,
    description: row.description,
    built_in: false,
    archived: row.archivedAt !== null,
    schema: row.schema === null ? null : (JSON.parse(row.schema) as Record<string, unknown>),
  };
}

/** Built-in types first, in their order, then the own ones by name. */
export function listEventTypes(db: Db): EventTypeInfo[] {
  const builtIn = EVENT_TYPES.map((name) => ({ name, description: EVENT_TYPE_DESCRIPTIONS[name], built_in: true, archived: false, schema: null }));
  return [...builtIn, ...db.select().from(eventTypes).orderBy(asc(eventTypes.name)).all().map(toInfo)];
}

export function putEventType(db: Db, name: string, input: PutEventTypeBody, now = Date.now()): { type: EventTypeInfo; created: boolean } {
  if (BUILT_IN.has(name)) throw new Conflict(`${name} is a built-in event type and cannot be changed`);
  rejectInvalidFields(putEventTypeFieldErrors(name, input));
  const schema = input.schema === undefined ? undefined : input.schema === null ? null : JSON.stringify(input.schema);
  return db.transaction(
    () => {
      const existing = ownType(db, name);
      const archivedAt = input.archived === undefined ? undefined : input.archived ? (existing?.archivedAt ?? now) : null;
      if (!existing) {
        db.insert(eventTypes)
          .values({ name, description: input.description ?? "", schema: schema ?? null, archivedAt: archivedAt ?? null, createdAt: now, updatedAt: now })
          .run();
      } else {
        const changes: Partial<EventTypeRow> = { updatedAt: now };
        if (input.description !== undefined) changes.description = input.description;
        if (schema !== undefined) changes.schema = schema;
        if (archivedAt !== undefined) changes.archivedAt = archivedAt;
        db.update(eventTypes).set(changes).where(eq(eventTypes.name, name)).run();
      }
      return { type: toInfo(ownType(db, name)!), created: !existing };
    },
    { behavior: "immediate" },
  );
}

/** The rules of a PUT its schema cannot express: the namespace and the JSON Schema itself. */
export function putEventTypeFieldErrors(name: string, input: { schema?: unknown }): FieldError[] {
  const problems: FieldError[] = [];
  if (!BUILT_IN.has(name) && RESERVED_PREFIXES.some((prefix) => name.startsWith(prefix))) {
    problems.push({ field: "name", message: `Must not start with ${RESERVED_PREFIXES.join(", ")}: those names are hookrelay's` });
  }
  if (input.schema !== undefined && input.schema !== null) {
    const problem = Buffer.byteLength(JSON.stringify(input.schema) ?? "") > MAX_SCHEMA_BYTES ? "Must be at most 64 KiB of JSON" : schemaProblem(input.schema);
    if (problem) problems.push({ field: "schema", message: problem });
  }
  return problems;
}

function oneOf(names: string[]): string {
  const shown = names.slice(0, NAMES_IN_MESSAGE).join(", ");
  return names.length > NAMES_IN_MESSAGE ? `Must be one of ${shown}, … (GET /api/v1/event-types lists them all)` : `Must be one of ${shown}`;
}

function ownNames(db: Db, subscribable: boolean): string[] {
  return db
    .select({ name: eventTypes.name, archivedAt: eventTypes.archivedAt })
    .from(eventTypes)
    .orderBy(asc(eventTypes.name))
    .all()
    .filter((t) => !subscribable || t.archivedAt === null)
    .map((t) => t.name);
}

/** `events[i]` that no webhook may subscribe to now: unknown, or archived. */
export function subscriptionFieldErrors(db: Db, events: unknown): FieldError[] {
  if (!Array.isArray(events)) return [];
  const problems: FieldError[] = [];
  let message: string | undefined;
  events.forEach((name, i) => {
    if (typeof name !== "string" || BUILT_IN.has(name)) return;
    const own = ownType(db, name);
    if (own && own.archivedAt === null) return;
    message ??= oneOf([...EVENT_TYPES, ...ownNames(db, true)]);
    problems.push({ field: `events[${i}]`, message: own ? "Is archived: it keeps its subscribers but takes no new ones" : message });
  });
  return problems;
}

/** `field` names no known event type (archived ones included): for filters. */
export function knownTypeFieldErrors(db: Db, name: unknown, field: string): FieldError[] {
  if (typeof name !== "string" || BUILT_IN.has(name) || ownType(db, name)) return [];
  return [{ field, message: oneOf([...EVENT_TYPES, ...ownNames(db, false)]) }];
}

/** A publish of `type` with `data`: the type must be known, and `data` satisfy its schema. */
export function publishTypeFieldErrors(db: Db, type: unknown, data: unknown): FieldError[] {
  if (typeof type !== "string" || BUILT_IN.has(type)) return [];
  const own = ownType(db, type);
  if (!own) return [{ field: "type", message: oneOf([...EVENT_TYPES, ...ownNames(db, false)]) }];
  if (own.schema === null || data === null || typeof data !== "object" || Array.isArray(data)) return [];
  return schemaErrors(own.schema, data);
}
