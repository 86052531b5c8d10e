// Every API body is JSON, capped at 1 MiB. We read the stream ourselves so an oversize body,
// with or without Content-Length, is cut off early and answered in our envelope (Bun's own
// limit would answer with an empty 413).
import { Elysia } from "elysia";
import { HttpError, invalidField } from "./errors";

export const MAX_BODY_BYTES = 1024 * 1024;

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
  try {
    return JSON.parse(text);
  } catch {
    throw invalidField("body", "The body is not valid JSON");
  }
});
