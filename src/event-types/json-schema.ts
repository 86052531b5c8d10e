// JSON Schema (2020-12) for own event types, through Ajv with its formats. Validators are
// compiled once per schema text and kept by that text, so a changed schema is a new key and no
// write can leave a stale one behind; the map is bounded.
import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import type { FieldError } from "../http/errors";
import { BoundedMap } from "../bounded-map";

// allErrors: every problem of `data` in one answer. No remote $refs are ever loaded.
const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
addFormats(ajv);

const MAX_COMPILED = 256;
const compiled = new BoundedMap<string, ValidateFunction>(MAX_COMPILED);

/** Why the schema is not a usable JSON Schema, or undefined. */
export function schemaProblem(schema: unknown): string | undefined {
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) return "Must be a JSON Schema object";
  try {
    ajv.compile(schema as object);
    return undefined;
  } catch (e) {
    return `Must be a valid JSON Schema: ${(e as Error).message}`;
  }
}

function validatorFor(schemaText: string): ValidateFunction {
  let validate = compiled.get(schemaText);
  if (!validate) {
    validate = ajv.compile(JSON.parse(schemaText) as object);
    compiled.set(schemaText, validate);
  }
  return validate;
}

/** `/items/0/qty` under `data` → `data.items[0].qty`. */
function fieldOf(root: string, pointer: string, missing?: string): string {
  const parts = pointer.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (missing !== undefined) parts.push(missing);
  return parts.reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : `${path}.${part}`), root);
}

const sentence = (message: string) => message.charAt(0).toUpperCase() + message.slice(1);

function toFieldError(root: string, e: ErrorObject): FieldError {
  if (e.keyword === "required") return { field: fieldOf(root, e.instancePath, String(e.params.missingProperty)), message: "Is required" };
  if (e.keyword === "additionalProperties") {
    return { field: fieldOf(root, e.instancePath, String(e.params.additionalProperty)), message: "Is not allowed by the event type's schema" };
  }
  return { field: fieldOf(root, e.instancePath), message: sentence(e.message ?? "Does not match the event type's schema") };
}

/** Every way `value` breaks the schema, named under `root` (`data.items[0].qty`). */
export function schemaErrors(schemaText: string, value: unknown, root = "data"): FieldError[] {
  const validate = validatorFor(schemaText);
  if (validate(value)) return [];
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const e of validate.errors ?? []) {
    const error = toFieldError(root, e);
    if (seen.has(error.field)) continue;
    seen.add(error.field);
    errors.push(error);
  }
  return errors;
}
