// Signing and scheduling rules of docs/api-guide.md#signatures, as plain functions.
import { describe, expect, test } from "bun:test";
import { Webhook } from "standardwebhooks";
import { applyRetryAfter, parseRetryAfter, retryDelayMs } from "../src/delivery/backoff";
import { resultFor } from "../src/delivery/attempt-result";
import { sign, signatureHeader, signingKey } from "../src/delivery/sign";

describe("Standard Webhooks signature", () => {
  test("matches the test vector of docs/api-guide.md#signatures", () => {
    const key = signingKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    expect(sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')).toBe(
      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    );
  });

  test("a secret without the whsec_ prefix signs with its UTF-8 bytes", () => {
    const secret = "plain-secret-ü";
    const header = sign(signingKey(secret), "evt_1", 1700000000, "{}");
    const verifier = new Webhook(new TextEncoder().encode(secret), { format: "raw" });
    const now = Math.floor(Date.now() / 1000);
    const fresh = sign(signingKey(secret), "evt_1", now, "{}");
    expect(header.startsWith("v1,")).toBe(true);
    expect(() => verifier.verify("{}", { "webhook-id": "evt_1", "webhook-timestamp": String(now), "webhook-signature": fresh })).not.toThrow();
  });

  test("one space-separated entry per key, each verifiable on its own", () => {
    const current = "whsec_" + Buffer.from("a".repeat(32)).toString("base64");
    const previous = "whsec_" + Buffer.from("b".repeat(32)).toString("base64");
    const now = Math.floor(Date.now() / 1000);
    const header = signatureHeader([signingKey(current), signingKey(previous)], "evt_2", now, '{"x":1}');
    expect(header.split(" ")).toHaveLength(2);
    for (const secret of [current, previous]) {
      expect(new Webhook(secret).verify('{"x":1}', { "webhook-id": "evt_2", "webhook-timestamp": String(now), "webhook-signature": header })).toEqual({ x: 1 });
    }
  });
});

describe("retry schedule", () => {
  const schedule = [5, 300];

  test("delays follow the schedule with at most ±20 % jitter, then stop", () => {
    expect(retryDelayMs(schedule, 1, () => 0)).toBe(4000);
    expect(retryDelayMs(schedule, 1, () => 0.5)).toBe(5000);
    expect(retryDelayMs(schedule, 1, () => 0.999999)).toBe(6000);
    expect(retryDelayMs(schedule, 2, () => 0.5)).toBe(300_000);
    expect(retryDelayMs(schedule, 3)).toBeNull();
    for (let i = 0; i < 200; i++) {
      const d = retryDelayMs(schedule, 2)!;
      expect(d).toBeGreaterThanOrEqual(240_000);
      expect(d).toBeLessThanOrEqual(360_000);
    }
  });

  test("Retry-After is clamped to [scheduled, 2 × scheduled]", () => {
    expect(applyRetryAfter(5000, undefined)).toBe(5000);
    expect(applyRetryAfter(5000, 1000)).toBe(5000);
    expect(applyRetryAfter(5000, 7000)).toBe(7000);
    expect(applyRetryAfter(5000, 60_000)).toBe(10_000);
  });

  test("Retry-After accepts delta-seconds and HTTP dates", () => {
    const now = Date.parse("2024-05-20T10:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter("Mon, 20 May 2024 10:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Mon, 20 May 2024 09:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  test("outcomes map to the next state of the row", () => {
    const delivery = { lease: "1", id: "dlv_1", eventId: "evt_1", publicEventId: "evt_1", transport: "http" as const, webhookId: "whk_1", trafficSourceWebhookId: null, attempts: 0, createdAt: 0, tenantId: "default" };
    const policy = { retrySchedule: [10], disableAfterHours: 120, random: () => 0.5 };
    const at = 1_000_000;
    const base = { responseBody: "", error: null, durationMs: 100 };
    expect(resultFor(delivery, { ...base, statusCode: 200 }, at, policy).kind).toBe("delivered");
    expect(resultFor(delivery, { ...base, statusCode: 410, goneReason: "gone" }, at, policy)).toMatchObject({ kind: "gone", reason: "gone" });
    expect(resultFor(delivery, { ...base, statusCode: 500 }, at, policy)).toMatchObject({ kind: "retry", nextAttemptAt: at + 100 + 10_000, error: "HTTP 500" });
    expect(resultFor(delivery, { ...base, statusCode: 503, retryAfterMs: 15_000 }, at, policy)).toMatchObject({ kind: "retry", nextAttemptAt: at + 100 + 15_000 });
    // A receiver's Retry-After is clamped to 2× the schedule; Discord's retry_after is honoured (≤ 1 h).
    expect(resultFor(delivery, { ...base, statusCode: 429, retryAfterMs: 60_000 }, at, policy)).toMatchObject({ nextAttemptAt: at + 100 + 20_000 });
    const alert = { ...delivery, transport: "discord" as const, webhookId: null, trafficSourceWebhookId: "a1" };
    expect(resultFor(alert, { ...base, statusCode: 429, retryAfterMs: 60_000 }, at, policy)).toMatchObject({ nextAttemptAt: at + 100 + 60_000 });
    expect(resultFor(alert, { ...base, statusCode: 429, retryAfterMs: 86_400_000 }, at, policy)).toMatchObject({ nextAttemptAt: at + 100 + 3_600_000 });
    expect(resultFor(alert, { ...base, statusCode: 429, retryAfterMs: 500 }, at, policy)).toMatchObject({ nextAttemptAt: at + 100 + 10_000 });
    expect(resultFor({ ...delivery, attempts: 1 }, { ...base, statusCode: 500 }, at, policy)).toMatchObject({
      kind: "exhausted",
      disableIfSilentSince: at + 100 - 120 * 3_600_000,
    });
  });
});
