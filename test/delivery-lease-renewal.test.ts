// The loop renews the leases of the rows it holds (src/delivery/claimer.ts, docs/scaling.md): an
// attempt that outlasts a renewal period keeps its row leased to this loop, with a lease that
// ends LEASE_MS after the latest renewal, not after the claim. Without renewal a slow request on
// one node would let another node claim and send the same delivery again.
import { afterAll, expect, test } from "bun:test";
import { LEASE_MS, LEASE_RENEW_EVERY_MS } from "../src/delivery/claimer";
import { createDeliveryTestApp, startReceiver, waitFor } from "./helpers/delivery";

const app = createDeliveryTestApp({ DELIVERY_TIMEOUT_MS: "20000" });
let release!: () => void;
const held = new Promise<void>((resolve) => (release = resolve));
const rx = startReceiver(async () => {
  await held;
  return new Response(null, { status: 204 });
});
afterAll(async () => {
  release();
  rx.stop();
  await app.shutdown();
});

const leaseOf = (id: string) =>
  app.deps.db.$client.prepare("SELECT status, lease_expires_at AS until FROM deliveries WHERE id = ?").get(id) as { status: string; until: number | null };

test("a request held past a renewal period keeps its lease, renewed from the last renewal", async () => {
  const renewals: number[] = [];
  const renew = app.deps.store.queue.renew.bind(app.deps.store.queue);
  app.deps.store.queue.renew = async (claims, now, leaseMs) => {
    renewals.push(now);
    return renew(claims, now, leaseMs);
  };
  const { id: webhookId } = await app.createWebhook(rx.url);
  await app.publish("link.clicked", { n: 1 });
  await waitFor(() => rx.received.length === 1, 5000, "the request to start");
  const deliveryId = (app.deps.db.$client.prepare("SELECT id FROM deliveries WHERE webhook_id = ?").get(webhookId) as { id: string }).id;
  const claimedUntil = leaseOf(deliveryId).until!;

  await waitFor(() => renewals.length >= 1 && leaseOf(deliveryId).until! > claimedUntil, LEASE_RENEW_EVERY_MS * 3, "a renewal");
  const { status, until } = leaseOf(deliveryId);
  expect(status).toBe("leased");
  expect(until).toBe(renewals[renewals.length - 1]! + LEASE_MS);

  release();
  await waitFor(() => leaseOf(deliveryId).status === "delivered", 5000, "delivered");
  expect(rx.received).toHaveLength(1);
}, 20_000);
