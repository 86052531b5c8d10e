// Sends a request built by operations.js, exactly as previewed, and reads the answer.
import { bodyText } from "./snippets.js";

const SEND_TIMEOUT_MS = 30_000;

/**
 * @returns {Promise<{status: number, statusText: string, ms: number, headers: [string,string][],
 *   text: string, json: unknown, isJson: boolean} | {error: string, ms: number}>}
 */
export async function send(request) {
  const started = performance.now();
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: bodyText(request.body),
      credentials: "omit",
      cache: "no-store",
      // A server that never answers must not leave Send disabled for good.
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    const text = await response.text();
    const ms = Math.round(performance.now() - started);
    let json;
    let isJson = false;
    try {
      json = JSON.parse(text);
      isJson = true;
    } catch {}
    return { status: response.status, statusText: response.statusText, ms, headers: [...response.headers], text, json, isJson };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e), ms: Math.round(performance.now() - started) };
  }
}

/** The envelope's message for an error answer, or a generic line. */
export function errorMessage(result) {
  if (!("status" in result)) return `Request failed: ${result.error}`;
  const message = result.json && typeof result.json === "object" ? result.json.message : undefined;
  return `${result.status} ${result.statusText}${message ? `: ${message}` : ""}`;
}
