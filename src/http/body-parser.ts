// Every API body is JSON, capped at 1 MiB. We read the stream ourselves so an oversize body,
// with or without Content-Length, is cut off early and answered in our envelope (Bun's own
// limit would answer with an empty 413).
import { Elysia } from "elysia";
import { HttpError, invalidField } from "./errors";

export const MAX_BODY_BYTES = 1024 * 1024;

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
  try {
    return JSON.parse(text);
  } catch {
    throw invalidField("body", "The body is not valid JSON");
  }
});
