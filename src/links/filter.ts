// A webhook's `filter`: a MongoDB-style condition on a published event's `data`, matched by sift
// (https://github.com/crcn/sift.js) over only the operators listed here (docs/api-guide.md,
// Filters). Checked when a webhook is created or changed, so publish only ever compiles
// filters that passed; matched inside the publish transaction (db/sqlite/publish.ts,
// db/postgres/publish.ts). Not applied to a webhook test, a retry or a recover: those resend
// one webhook's delivery on purpose (docs/architecture.md).
import { $and, $eq, $exists, $gt, $gte, $in, $lt, $lte, $ne, $nin, $nor, $not, $or, createQueryTester } from "sift";
import { BoundedMap } from "../bounded-map";
import type { FieldError } from "../http/errors";

/** Operators on one field's value: `{"amount": {"$gte": 100}}`. */
const FIELD_OPERATORS = { $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists, $not } as const;
/** Operators over whole conditions: `{"$or": [{…}, {…}]}`. */
const CONDITION_OPERATORS = { $and, $or, $nor, $not } as const;
/**
 * Everything sift may run. Nothing else is passed to it, so `$where` (code), `$regex` (a
 * pattern that backtracks would stall the publish) and `$function` are unknown to it as well as
 * refused here.
 */
const OPERATIONS = { ...FIELD_OPERATORS, ...CONDITION_OPERATORS };
export const FILTER_OPERATORS = Object.keys(OPERATIONS);

export const MAX_FILTER_BYTES = 4096;
/** Objects and arrays inside one another, the filter itself being the first. */
export const MAX_FILTER_DEPTH = 8;
export const FILTER_ERROR = `Must be a JSON object (a condition on the event's data) of at most ${MAX_FILTER_BYTES} bytes, or null`;

const NOT_ACCEPTED = `Not an accepted operator; use ${FILTER_OPERATORS.join(", ")}`;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> => v !== null && typeof v === "object" && !Array.isArray(v);
const isOperator = (key: string) => key.startsWith("$");

/**
 * What is wrong with a filter as sent, each problem at its path (`filter.$or[1].amount.$regex`),
 * or nothing. Null (no filter) passes.
 */
export function filterFieldErrors(filter: unknown): FieldError[] {
  if (filter === null) return [];
  if (!isObject(filter)) return [{ field: "filter", message: FILTER_ERROR }];
  const text = JSON.stringify(filter);
  if (Buffer.byteLength(text) > MAX_FILTER_BYTES) return [{ field: "filter", message: FILTER_ERROR }];
  if (depthOf(filter) > MAX_FILTER_DEPTH) {
    return [{ field: "filter", message: `Must nest objects and arrays at most ${MAX_FILTER_DEPTH} deep` }];
  }
  const problems: FieldError[] = [];
  checkCondition(filter, "filter", problems);
  return problems;
}

function depthOf(value: unknown): number {
  if (value === null || typeof value !== "object") return 0;
  let deepest = 0;
  for (const inner of Object.values(value)) deepest = Math.max(deepest, depthOf(inner));
  return deepest + 1;
}

/** `{field: value-or-operators, $and: […], …}`. */
function checkCondition(condition: Record<string, Json>, path: string, problems: FieldError[]): void {
  for (const [key, value] of Object.entries(condition)) {
    const at = `${path}.${key}`;
    if (!isOperator(key)) {
      checkFieldValue(value, at, problems);
    } else if (key === "$and" || key === "$or" || key === "$nor") {
      if (!Array.isArray(value) || value.length === 0 || !value.every(isObject)) {
        problems.push({ field: at, message: "Must be a non-empty array of conditions (JSON objects)" });
      } else {
        value.forEach((inner, i) => checkCondition(inner as Record<string, Json>, `${at}[${i}]`, problems));
      }
    } else if (key === "$not") {
      if (!isObject(value)) problems.push({ field: at, message: "Must be a condition (a JSON object)" });
      else checkCondition(value, at, problems);
    } else {
      problems.push({ field: at, message: key in FIELD_OPERATORS ? "Must be inside a field: {\"field\": {\"" + key + "\": …}}" : NOT_ACCEPTED });
    }
  }
}

/** A field's value: a literal to equal, or an object of field operators. */
function checkFieldValue(value: Json, path: string, problems: FieldError[]): void {
  if (!isObject(value) || !Object.keys(value).some(isOperator)) {
    checkLiteral(value, path, problems);
    return;
  }
  for (const [key, operand] of Object.entries(value)) {
    const at = `${path}.${key}`;
    if (!isOperator(key)) {
      problems.push({ field: at, message: "Must not mix operators and fields in one object" });
    } else if (!(key in FIELD_OPERATORS)) {
      problems.push({ field: at, message: NOT_ACCEPTED });
    } else if (key === "$in" || key === "$nin") {
      if (!Array.isArray(operand)) problems.push({ field: at, message: "Must be an array of values" });
      else operand.forEach((v, i) => checkLiteral(v, `${at}[${i}]`, problems));
    } else if (key === "$gt" || key === "$gte" || key === "$lt" || key === "$lte") {
      if (typeof operand !== "number" && typeof operand !== "string") problems.push({ field: at, message: "Must be a number or a string" });
    } else if (key === "$exists") {
      if (typeof operand !== "boolean") problems.push({ field: at, message: "Must be true or false" });
    } else if (key === "$not") {
      if (!isObject(operand) || !Object.keys(operand).every(isOperator)) {
        problems.push({ field: at, message: "Must be an object of operators, such as {\"$gt\": 5}" });
      } else {
        checkFieldValue(operand, path + ".$not", problems);
      }
    } else {
      checkLiteral(operand, at, problems); // $eq, $ne
    }
  }
}

/** A value compared as it is: no key in it may look like an operator. */
function checkLiteral(value: Json, path: string, problems: FieldError[]): void {
  if (Array.isArray(value)) value.forEach((v, i) => checkLiteral(v, `${path}[${i}]`, problems));
  else if (isObject(value)) {
    for (const [key, inner] of Object.entries(value)) {
      if (isOperator(key)) problems.push({ field: `${path}.${key}`, message: "Must not be an operator inside a value to compare" });
      else checkLiteral(inner, `${path}.${key}`, problems);
    }
  }
}

export type EventDataTest = (data: unknown) => boolean;

/** A stored filter's tester; sift knows only the accepted operators. */
export function compileFilter(filterJson: string): EventDataTest {
  return createQueryTester(JSON.parse(filterJson), { operations: OPERATIONS }) as EventDataTest;
}

/**
 * Compiled filters by their JSON text, owned by a publish store. The text is the whole filter,
 * so an entry never goes stale: a webhook whose filter changes brings another text.
 */
export class FilterMatchers {
  private readonly compiled: BoundedMap<string, EventDataTest>;

  constructor(maxFilters = 10_000) {
    this.compiled = new BoundedMap(maxFilters);
  }

  /**
   * For one publish: whether a filter lets the event's data through. `dataOf` is called at
   * most once, at the first filter asked about; each distinct filter text is looked up and run
   * once, however many webhooks share it.
   */
  forEvent(dataOf: () => unknown): (filterJson: string) => boolean {
    // Made on the first filter asked about: a publish with no filtered subscriber (the common
    // case, on the hot path) allocates nothing but this closure.
    let verdicts: Map<string, boolean> | undefined;
    let data: unknown;
    return (filterJson) => {
      if (verdicts === undefined) {
        verdicts = new Map();
        data = dataOf();
      }
      let verdict = verdicts.get(filterJson);
      if (verdict === undefined) {
        verdict = this.testerOf(filterJson)(data);
        verdicts.set(filterJson, verdict);
      }
      return verdict;
    };
  }

  private testerOf(filterJson: string): EventDataTest {
    let test = this.compiled.get(filterJson);
    if (!test) {
      test = compileOrRefuse(filterJson);
      this.compiled.set(filterJson, test);
    }
    return test;
  }
}

/**
 * Every stored filter passed filterFieldErrors, so this only guards against a row written some
 * other way: such a filter matches nothing rather than failing every publish of its type.
 */
function compileOrRefuse(filterJson: string): EventDataTest {
  try {
    return compileFilter(filterJson);
  } catch {
    return () => false;
  }
}

/** The `data` of an event body as delivered (`{"id","type","created_at","data"}`). */
export function eventDataOf(body: string): unknown {
  return (JSON.parse(body) as { data?: unknown }).data;
}
