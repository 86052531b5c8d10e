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
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) throw tooLarge();
  if (!request.body) return "";
  const reader = request.body.getReader();
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
  const bytes = Buffer.concat(chunks);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
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
      for (const [key, item] of Object.entries(value)) {
        if (!key.isWellFormed()) throw invalidField("body", "The body contains a lone UTF-16 surrogate escape");
        stack.push([item, depth + 1]);
      }
    }
  }
}
