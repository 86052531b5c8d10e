// Sends one traffic-source alert to Discord. The delivery loop calls this for rows with
// transport 'discord' and turns the outcome into retry/failed/delivered like any attempt.
// The event body is already the Discord message (see discord-message.ts); this only picks
// the endpoint and reads the answer.
import type { Config } from "../../config";
import type { TrafficSourceStore } from "../../db/aggregates/traffic-sources";
import { VERSION } from "../../version";
import { loggableBody, MAX_LOGGED_RESPONSE_BYTES, type AttemptOutcome } from "../transport";
import { parseDiscordTarget } from "./discord-target";
import { BoundedMap } from "../../bounded-map";

// Discord asks API clients to identify themselves as `DiscordBot ($url, $version)`; we have
// no public URL, so the product name stands in for it.
const USER_AGENT = `DiscordBot (hookrelay, ${VERSION})`;

function failed(error: string, durationMs: number, goneReason?: string): AttemptOutcome {
  return { statusCode: null, responseBody: null, error, durationMs, ...(goneReason ? { goneReason } : {}) };
}

/** Reads at most `limit` bytes of the body and drops the rest. */
async function readCapped(response: Response, limit: number): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return loggableBody(Buffer.concat(chunks).subarray(0, limit));
}

/** Discord's 429 body carries `retry_after` in seconds (a float); Retry-After is the fallback. */
function retryAfterMs(response: Response, body: string): number | undefined {
  try {
    const parsed = JSON.parse(body) as { retry_after?: unknown };
    if (typeof parsed.retry_after === "number" && parsed.retry_after >= 0) return Math.ceil(parsed.retry_after * 1000);
  } catch {}
  const header = response.headers.get("retry-after")?.trim();
  if (header && /^\d+(\.\d+)?$/.test(header)) return Math.ceil(Number(header) * 1000);
  return undefined;
}

/**
 * What Discord's X-RateLimit-* headers said of each webhook's bucket: when one is used up, the
 * next message to it waits for the reset instead of earning a 429 (Discord bans addresses that
 * keep sending requests it refuses). Per process: with several nodes each waits for what it has
 * seen, and a 429 still reaches the usual retry.
 */
export class DiscordBuckets {
  private readonly resetAt = new BoundedMap<string, number>(MAX_BUCKETS);

  /** How long to wait before sending to `key` (ms). */
  waitFor(key: string, now = Date.now()): number {
    const at = this.resetAt.get(key);
    if (at === undefined) return 0;
    if (at <= now) this.resetAt.delete(key);
    return Math.max(0, at - now);
  }

  /** Notes an answer's headers: a bucket with nothing left is closed until its reset. */
  heard(key: string, headers: Headers, now = Date.now()): void {
    const remaining = headers.get("x-ratelimit-remaining");
    const resetAfter = Number(headers.get("x-ratelimit-reset-after"));
    if (remaining !== "0" || !Number.isFinite(resetAfter) || resetAfter <= 0) return;
    this.resetAt.set(key, now + Math.ceil(resetAfter * 1000));
  }
}

const MAX_BUCKETS = 10_000;

export async function sendDiscordAlert(
  deps: { config: Config; trafficSources: Pick<TrafficSourceStore, "webhookValue">; discordBuckets?: DiscordBuckets },
  job: { trafficSourceWebhookId: string; eventBody: string },
  timeoutMs: number,
): Promise<AttemptOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const value = await deps.trafficSources.webhookValue(job.trafficSourceWebhookId);
  if (value === null) return failed("The traffic-source webhook was deleted", elapsed(), "The traffic-source webhook was deleted");
  const target = parseDiscordTarget(value);
  if (!target) return failed("The traffic-source webhook's value is not a Discord webhook URL or channel id", elapsed());

  const base = deps.config.discordApiBase;
  const headers: Record<string, string> = { "content-type": "application/json", "user-agent": USER_AGENT };
  let url: string;
  if (target.kind === "webhook") {
    url = `${base}/webhooks/${target.webhookId}/${target.token}`;
  } else {
    const botToken = deps.config.discordBotToken;
    if (!botToken) {
      return failed("DISCORD_BOT_TOKEN is not set: alerts to a channel id are sent with a bot token", elapsed());
    }
    url = `${base}/channels/${target.channelId}/messages`;
    headers.authorization = `Bot ${botToken}`;
  }

  const bucket = target.kind === "webhook" ? `webhook:${target.webhookId}` : `channel:${target.channelId}`;
  const wait = deps.discordBuckets?.waitFor(bucket) ?? 0;
  if (wait > 0) {
    // A wait beyond half the timeout is not worth holding a slot for: retry after the reset.
    if (wait > timeoutMs / 2) return { ...failed(`Waiting for Discord's rate limit to reset (${Math.ceil(wait / 1000)} s)`, elapsed()), retryAfterMs: wait };
    await Bun.sleep(wait);
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers,
      body: job.eventBody,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
      // DELIVERY_PROXY_URL: alerts leave through the same egress proxy as webhooks.
      proxy: deps.config.deliveryProxy?.url,
    });
  } catch (e) {
    const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
    // Fetch errors can quote the URL, and a webhook URL carries its token: never log that part.
    const reason = (e as Error).message.replaceAll(url, redactedUrl(url));
    return failed(timedOut ? `Timed out after ${timeoutMs} ms` : `Request to Discord failed: ${reason}`, elapsed());
  }
  let responseBody: string;
  try {
    responseBody = await readCapped(response, MAX_LOGGED_RESPONSE_BYTES);
  } catch {
    responseBody = ""; // the status is what counts; a body cut off mid-stream is not worth failing over
  }
  deps.discordBuckets?.heard(bucket, response.headers);
  const outcome: AttemptOutcome = { statusCode: response.status, responseBody, error: null, durationMs: elapsed() };
  if (response.status === 429) {
    const wait = retryAfterMs(response, responseBody);
    if (wait !== undefined) outcome.retryAfterMs = wait;
  }
  // For a webhook URL, 401 (bad token), 403 (no access) and 404 (unknown webhook) mean it was
  // deleted or revoked in Discord: sending on would only earn more refusals, which Discord
  // punishes by banning the sender's address.
  // The reason is the attempt's error too, so the delivery log says why it was not retried.
  if (target.kind === "webhook" && (response.status === 404 || response.status === 401 || response.status === 403)) {
    outcome.goneReason = outcome.error = `Discord answered ${response.status}: the webhook was deleted or its token is no longer valid`;
  }
  return outcome;
}

/** `…/webhooks/{id}/{token}` → `…/webhooks/{id}/***`; other URLs carry no secret. */
export function redactedUrl(url: string): string {
  return url.replace(/(\/webhooks\/[^/]+\/)[^/?#]+/, "$1***");
}
