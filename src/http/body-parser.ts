// Every API body is JSON, capped at 1 MiB. We read the stream ourselves so an oversize body,
// with or without Content-Length, is cut off early and answered in our envelope (Bun's own
// limit would answer with an empty 413). The text is kept beside the parsed value, so a route
// can hand on a member exactly as it was sent (see jsonMemberText).
import { Elysia } from "elysia";
import { BadRequest, HttpError, invalidField, type FieldError } from "./errors";
import { topLevelName } from "./field-errors";
import { jsonMemberText } from "./json-text";

export const MAX_BODY_BYTES = 1024 * 1024;
/** Deeper JSON is refused before validation: recursive code downstream (schema checks, error
 * messages that print the value) would otherwise overflow the stack and answer 500. */
export const MAX_JSON_DEPTH = 64;

const tooLarge = () => new HttpError(413, `The request body exceeds the limit of ${MAX_BODY_BYTES} bytes`);

async function readLimited(request: Request, limit: number): Promise<string> {
  const lengthHeader = request.headers.get("content-length");
  const declared = Number(lengthHeader ?? "0");
  if (declared > limit) throw tooLarge();
  if (!request.body) return "";
  let bytes: Uint8Array;
  if (lengthHeader !== null && declared >= 0) {
    // Fast path: the server never reads past a declared length, so the body is known to be
    // within the limit and Bun's native arrayBuffer() avoids a JavaScript stream reader,
    // which cost a large share of a create request's CPU (test/bench/RESULTS.md, session 1, item 2).
    bytes = new Uint8Array(await request.arrayBuffer());
    // Only an in-process Request (app.handle) can carry more than it declares.
    if (bytes.byteLength > limit) throw tooLarge();
  } else {
    bytes = await readStreamLimited(request.body, limit);
  }
  return decodeUtf8(bytes);
}

/** A body without Content-Length (chunked) is read chunk by chunk and cut off at the limit. */
async function readStreamLimited(body: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw invalidField("body", "The body is not valid UTF-8");
  }
}

function isJson(contentType: string): boolean {
  const mime = contentType.split(";")[0]!.trim().toLowerCase();
  return mime === "application/json" || (mime.startsWith("application/") && mime.endsWith("+json"));
}

const bodyTexts = new WeakMap<Request, string>();
const numberProblems = new WeakMap<Request, FieldError[]>();

/**
 * The raw text of a top-level member of the request's JSON body, as sent (number spellings,
 * escapes and key order kept), or undefined when the body has no such member.
 */
export function requestMemberText(request: Request, name: string): string | undefined {
  const text = bodyTexts.get(request);
  return text === undefined ? undefined : jsonMemberText(text, name);
}

/**
 * Numbers of the body that JSON.parse turned into ±Infinity, a field problem each, except in
 * fields the schema dropped as unknown (`body` is the request's body after that cleaning).
 */
export function parserFieldErrors(request: Request, body: unknown): FieldError[] {
  const problems = numberProblems.get(request);
  if (!problems) return [];
  if (body === null || typeof body !== "object" || Array.isArray(body)) return problems;
  return problems.filter((p) => Object.hasOwn(body, topLevelName(p.field)));
}

export const jsonBody = new Elysia({ name: "http/json-body" })
  .onParse({ as: "global" }, async ({ request }) => {
    const text = await readLimited(request, MAX_BODY_BYTES);
    // Routes without a body (rotate, retry, test) accept an empty one whatever its type.
    if (text.trim() === "") return undefined as unknown;
    const contentType = request.headers.get("content-type") ?? "";
    if (!isJson(contentType)) {
      throw new HttpError(415, "The request body must be JSON, sent with Content-Type: application/json");
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw invalidField("body", "The body is not valid JSON");
    }
    if (checkJsonShape(value)) numberProblems.set(request, outOfRangeNumbers(value));
    bodyTexts.set(request, text);
    return value;
  })
  // Out-of-range numbers are field problems like any other, reported with the rest: when the
  // schema refuses the body the error handler adds them; when it accepts it, they are answered
  // here, with the route's own checks, before the handler can store anything.
  .onBeforeHandle({ as: "global" }, (context) => {
    if (!numberProblems.has(context.request)) return;
    const problems = parserFieldErrors(context.request, context.body);
    // The error handler adds the route's own checks.
    if (problems.length > 0) throw new BadRequest(problems);
  });

const NUMBER_RANGE_MESSAGE = "Must be a number within ±1.7976931348623157e308";
const MAX_REPORTED = 64;

/** Where the body holds ±Infinity (a literal such as 1e400), by field path (`data.a[2]`). */
function outOfRangeNumbers(root: unknown): FieldError[] {
  const found: FieldError[] = [];
  const stack: [unknown, string][] = [[root, ""]];
  while (stack.length > 0 && found.length < MAX_REPORTED) {
    const [value, field] = stack.pop()!;
    if (typeof value === "number") {
      if (!Number.isFinite(value)) found.push({ field: field || "body", message: NUMBER_RANGE_MESSAGE });
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${field}[${i}]`]);
    } else if (value !== null && typeof value === "object") {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        stack.push([(value as Record<string, unknown>)[key], field ? `${field}.${key}` : key]);
      }
    }
  }
  return found;
}

/**
 * Iterative, so it cannot overflow itself. Also refuses lone UTF-16 surrogates (`"\ud800"`):
 * SQLite stores text as UTF-8 and would silently replace them, so the value would not be
 * stored as sent. Returns whether a number is out of range (their paths are found only then).
 */
function checkJsonShape(root: unknown): boolean {
  let outOfRange = false;
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value === "string") {
      if (!value.isWellFormed()) throw invalidField("body", "The body contains a lone UTF-16 surrogate escape");
      continue;
    }
    if (typeof value === "number") {
      // JSON has no Infinity: JSON.parse gives it for literals beyond the double range (1e400).
      if (value === Infinity || value === -Infinity) outOfRange = true;
      continue;
    }
    if (value === null || typeof value !== "object") continue;
    if (depth >= MAX_JSON_DEPTH) throw invalidField("body", `The body is nested deeper than ${MAX_JSON_DEPTH} levels`);
    if (Array.isArray(value)) {
      for (const item of value) stack.push([item, depth + 1]);
    } else {
      const object = value as Record<string, unknown>;
      // JSON.parse makes plain objects with own properties only: for…in sees exactly those.
      for (const key in object) {
        if (!key.isWellFormed()) throw invalidField("body", "The body contains a lone UTF-16 surrogate escape");
        stack.push([object[key], depth + 1]);
      }
    }
  }
  return outOfRange;
}
