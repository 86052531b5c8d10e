// Turns the schemas Elysia hands the OpenAPI generator into plain JSON Schema 2020-12 for the
// document: what only validation needs is dropped (the `error` messages, Elysia's string-or-
// number coercion of integers), documentedAs() substitutes are put in, and named schemas
// (components.ts) are moved into components.schemas and referred to by $ref.
import { DOC_KEYS } from "../http/schemas";

export type Json = Record<string, unknown>;
export type SchemaRegistry = Record<string, Json>;

const MAP_KEYS = new Set(["properties", "patternProperties", "$defs", "dependentSchemas"]);
const LIST_KEYS = new Set(["allOf", "anyOf", "oneOf", "prefixItems"]);
const SCHEMA_KEYS = new Set(["items", "additionalProperties", "unevaluatedProperties", "contains", "not", "if", "then", "else", "propertyNames"]);
/** Validation-only keywords: TypeBox's custom message and our document-only keys. */
const DROPPED_KEYS = new Set<string>(["error", ...Object.values(DOC_KEYS)]);
/** t.Record(t.String(), …) with a key pattern that matches any string (links/model.ts). */
const ANY_KEY_PATTERNS = new Set(["^[\\s\\S]*$", "^(.*)$"]);

export const isJson = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

export const refTo = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Elysia widens t.Integer to `anyOf: [{type: string, format: integer}, {type: integer}]` so it can coerce query strings. */
function withoutCoercion(schema: Json): Json {
  const anyOf = schema.anyOf;
  if (!Array.isArray(anyOf) || anyOf.length !== 2) return schema;
  const [coerced, real] = anyOf as Json[];
  if (coerced?.type !== "string" || (coerced.format !== "integer" && coerced.format !== "numeric")) return schema;
  if (real?.type !== "integer" && real?.type !== "number") return schema;
  const { anyOf: _, ...rest } = schema;
  return { ...rest, ...real };
}

/**
 * The generator folds `t.Union([t.Literal(x), t.Null()])` into `{const: x, type: [.., "null"]}`,
 * which allows x alone (`const` wins): say what the schema means, `enum: [x, null]`.
 */
function withNullableConst(schema: Json): Json {
  if (!("const" in schema) || !Array.isArray(schema.type) || !schema.type.includes("null")) return schema;
  const { const: value, ...rest } = schema;
  return { ...rest, enum: [value, null] };
}

/** A Record whose key pattern matches every string is an object with any properties. */
function withoutAnyKeyPattern(schema: Json): Json {
  const patterns = schema.patternProperties;
  if (!isJson(patterns)) return schema;
  const keys = Object.keys(patterns);
  if (keys.length !== 1 || !ANY_KEY_PATTERNS.has(keys[0]!)) return schema;
  const { patternProperties: _, ...rest } = schema;
  return { ...rest, additionalProperties: patterns[keys[0]!] };
}

/** Cleans one schema; named schemas go into `registry` and come back as a $ref. */
export function cleanSchema(node: unknown, registry: SchemaRegistry): unknown {
  if (!isJson(node)) return node;
  const substitute = node[DOC_KEYS.documentedAs];
  if (isJson(substitute)) return cleanSchema(substitute, registry);
  const schema = withNullableConst(withoutAnyKeyPattern(withoutCoercion(node)));
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED_KEYS.has(key)) continue;
    // Elysia adds it to a schema when a route using it first runs (to strip unknown fields):
    // it says nothing about the API, where unknown fields are ignored, and would make the
    // document depend on which routes have run.
    if (key === "additionalProperties" && value === false) continue;
    if (MAP_KEYS.has(key) && isJson(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, child]) => [name, cleanSchema(child, registry)]));
    } else if (LIST_KEYS.has(key) && Array.isArray(value)) {
      out[key] = value.map((child) => cleanSchema(child, registry));
    } else if (SCHEMA_KEYS.has(key) && isJson(value)) {
      out[key] = cleanSchema(value, registry);
    } else {
      out[key] = value;
    }
  }
  const name = schema[DOC_KEYS.componentName];
  return typeof name === "string" ? register(name, out, registry) : out;
}

/**
 * Files the schema under its name and answers the reference. The generator turns `X | null`
 * into `type: [X's type, "null"]`; the nullable form becomes `anyOf: [$ref, null]`.
 */
function register(name: string, schema: Json, registry: SchemaRegistry): Json {
  const types = schema.type;
  const nullable = Array.isArray(types) && types.includes("null");
  const plain = nullable ? { ...schema, type: (types as string[]).find((t) => t !== "null") } : schema;
  const existing = registry[name];
  if (existing && JSON.stringify(existing) !== JSON.stringify(plain)) {
    throw new Error(`Two different schemas are named ${name} in the OpenAPI document: ${JSON.stringify(existing)} ${JSON.stringify(plain)}`);
  }
  registry[name] = plain;
  return nullable ? { anyOf: [refTo(name), { type: "null" }] } : refTo(name);
}
