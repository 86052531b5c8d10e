// Every API body is JSON, capped at 1 MiB. We read the stream ourselves so an oversize body,
// with or without Content-Length, is cut off early and answered in our envelope (Bun's own
// limit would answer with an empty 413).
import { Elysia } from "elysia";
import { HttpError, invalidField } from "./errors";

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
    // which cost about a tenth of a create request's CPU (test/bench/RESULTS.md).
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

export const jsonBody = new Elysia({ name: "http/json-body" }).onParse({ as: "global" }, async ({ request }) => {
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
  checkJsonShape(value);
  return value;
});

/**
 * Iterative, so it cannot overflow itself. Also refuses lone UTF-16 surrogates (`"\ud800"`):
 * SQLite stores text as UTF-8 and would silently replace them, so the value would not be
 * stored as sent.
 */
function checkJsonShape(root: unknown): void {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value === "string") {
      if (!value.isWellFormed()) throw invalidField("body", "The body contains a lone UTF-16 surrogate escape");
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
}
