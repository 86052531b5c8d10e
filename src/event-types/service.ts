// The event catalogue (docs/api-guide.md#event-types): the built-in types (events/catalogue.ts)
// and the operator's own, shared by every tenant. Publishing checks a type is known and its
// `data` satisfies the type's JSON Schema; subscribing checks it is known and not archived.
// Built-in names are answered from memory; an own type is one primary-key read.
import type { EventTypeRecord, EventTypeStore } from "../db/aggregates/event-types";
import { EVENT_TYPE_DESCRIPTIONS, EVENT_TYPES, OPERATIONAL_EVENT_TYPES } from "../events/catalogue";
import { Conflict, rejectInvalidFields, type FieldError } from "../http/errors";
import { schemaErrors, schemaProblem } from "./json-schema";
import type { EventTypeInfo, PutEventTypeBody } from "./model";

const BUILT_IN: ReadonlySet<string> = new Set(EVENT_TYPES);
/** The built-in types a publisher may publish: not the operational ones. */
const PUBLISHABLE_BUILT_IN = EVENT_TYPES.filter((name) => !OPERATIONAL_EVENT_TYPES.has(name));
export const OPERATIONAL_TYPE_ERROR = "Is published by hookrelay itself (webhook.disabled, delivery.exhausted): subscribe to it, do not publish it";
/** Namespaces hookrelay uses or will use for its own events: not for own types. */
const RESERVED_PREFIXES = ["link.", "uptime.", "webhook.", "delivery.", "alert.", "hookrelay."];
const MAX_SCHEMA_BYTES = 64 * 1024;
/** How many names an "unknown type" message lists before pointing at the catalogue. */
const NAMES_IN_MESSAGE = 30;

function toInfo(type: EventTypeRecord): EventTypeInfo {
  return {
    name: type.name,
    description: type.description,
    built_in: false,
    archived: type.archivedAt !== null,
    schema: type.schemaJson === null ? null : (JSON.parse(type.schemaJson) as Record<string, unknown>),
  };
}

/** Built-in types first, in their order, then the own ones by name. */
export async function listEventTypes(types: EventTypeStore): Promise<EventTypeInfo[]> {
  const builtIn = EVENT_TYPES.map((name) => ({ name, description: EVENT_TYPE_DESCRIPTIONS[name], built_in: true, archived: false, schema: null }));
  return [...builtIn, ...(await types.list()).map(toInfo)];
}

export async function putEventType(
  types: EventTypeStore,
  name: string,
  input: PutEventTypeBody,
  now = Date.now(),
): Promise<{ type: EventTypeInfo; created: boolean }> {
  if (BUILT_IN.has(name)) throw new Conflict(`${name} is a built-in event type and cannot be changed`);
  rejectInvalidFields(putEventTypeFieldErrors(name, input));
  const schemaJson = input.schema === undefined ? undefined : input.schema === null ? null : JSON.stringify(input.schema);
  const { type, created } = await types.put(name, { description: input.description, schemaJson, archived: input.archived }, now);
  return { type: toInfo(type), created };
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

async function ownNames(types: EventTypeStore, subscribable: boolean): Promise<string[]> {
  return (await types.list()).filter((t) => !subscribable || t.archivedAt === null).map((t) => t.name);
}

/** `events[i]` that no webhook may subscribe to now: unknown, or archived. Built-in names need no read. */
export async function subscriptionFieldErrors(types: EventTypeStore, events: unknown): Promise<FieldError[]> {
  if (!Array.isArray(events)) return [];
  const problems: FieldError[] = [];
  let message: string | undefined;
  for (const [i, name] of events.entries()) {
    if (typeof name !== "string" || BUILT_IN.has(name)) continue;
    const own = await types.get(name);
    if (own && own.archivedAt === null) continue;
    message ??= oneOf([...EVENT_TYPES, ...(await ownNames(types, true))]);
    problems.push({ field: `events[${i}]`, message: own ? "Is archived: it keeps its subscribers but takes no new ones" : message });
  }
  return problems;
}

/** `field` names no known event type (archived ones included): for filters. */
export async function knownTypeFieldErrors(types: EventTypeStore, name: unknown, field: string): Promise<FieldError[]> {
  if (typeof name !== "string" || BUILT_IN.has(name) || (await types.get(name))) return [];
  return [{ field, message: oneOf([...EVENT_TYPES, ...(await ownNames(types, false))]) }];
}

/** A publish of `type` with `data`: the type must be known, and `data` satisfy its schema. */
export async function publishTypeFieldErrors(types: EventTypeStore, type: unknown, data: unknown): Promise<FieldError[]> {
  // What they announce must be true: only the outcome writer publishes them (events/operational.ts).
  if (typeof type === "string" && OPERATIONAL_EVENT_TYPES.has(type)) return [{ field: "type", message: OPERATIONAL_TYPE_ERROR }];
  if (typeof type !== "string" || BUILT_IN.has(type)) return [];
  const own = await types.get(type);
  if (!own) return [{ field: "type", message: oneOf([...PUBLISHABLE_BUILT_IN, ...(await ownNames(types, false))]) }];
  if (own.schemaJson === null || data === null || typeof data !== "object" || Array.isArray(data)) return [];
  return schemaErrors(own.schemaJson, data);
}
