// The logged response body is at most 4 KiB of UTF-8 whatever the receiver sends: a character
// cut at the limit, or a binary body (each byte not UTF-8 decodes to a 3-byte U+FFFD), must not
// push it over. Both transports: link webhooks and Discord alerts.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { loggableBody, MAX_LOGGED_RESPONSE_BYTES } from "../src/delivery/transport";
import { startReceiver } from "./helpers/delivery";
import { createFaultApp, type FaultApp } from "./helpers/faults";

setDefaultTimeout(30_000);

const BODIES: [string, Uint8Array][] = [
  ["ASCII", Buffer.from("a".repeat(100_000))],
  ["3-byte characters cut at the limit", Buffer.from("€".repeat(40_000))],
  ["4-byte characters", Buffer.from("🚀".repeat(30_000))],
  ["binary, not UTF-8", new Uint8Array(100_000).fill(0xff)],
];

test.each(BODIES)("loggableBody: %s stays within 4 KiB and keeps what fits", (_name, bytes) => {
  const text = loggableBody(bytes);
  expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_LOGGED_RESPONSE_BYTES);
  expect(Buffer.byteLength(text)).toBeGreaterThan(MAX_LOGGED_RESPONSE_BYTES - 4);
});

let app: FaultApp;
beforeAll(() => {
  app = createFaultApp();
});
afterAll(async () => {
  await app.shutdown();
});

test.each(BODIES)("a receiver answering %s: the attempt log holds at most 4 KiB", async (_name, bytes) => {
  const receiver = startReceiver(() => new Response(bytes as BodyInit, { status: 200 }));
  try {
    const { deliveryId } = await app.deliverTo(receiver.url);
    const d = await app.waitDelivery(deliveryId, (x) => x.status === "delivered");
    expect(Buffer.byteLength(d.attempt_log[0].response_body)).toBeLessThanOrEqual(MAX_LOGGED_RESPONSE_BYTES);
  } finally {
    receiver.stop();
  }
});
