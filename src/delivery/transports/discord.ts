// Placeholder so the delivery loop compiles on this branch: the real Discord sender comes from
// the traffic-sources work (same signature) and replaces this file when the branches merge.
import type { Config } from "../../config";
import type { Db } from "../../db/client";
import type { AttemptOutcome } from "../transport";

export async function sendDiscordAlert(
  _deps: { config: Config; db: Db },
  _job: { alertWebhookId: string; eventBody: string },
  _timeoutMs: number,
): Promise<AttemptOutcome> {
  return { statusCode: null, responseBody: null, error: "discord transport not available", durationMs: 0 };
}
