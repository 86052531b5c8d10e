// The README's example, type-checked with the client (test/client-typescript.test.ts).
import { createHookrelayClient, type components } from "./index";

export async function example(baseUrl: string, apiKey: string) {
  const api = createHookrelayClient({ baseUrl, token: apiKey });

  const created = await api.POST("/api/v1/links/webhooks", {
    body: { url: "https://api.acme-retail.com/webhooks/links", events: ["link.clicked", "uptime.down"] },
  });
  if (created.error) throw new Error(`${created.error.code} ${created.error.message}`);
  const webhook = created.data.data; // components["schemas"]["CreatedWebhook"]

  const published = await api.POST("/api/v1/events", {
    params: { header: { "Idempotency-Key": "order-1234-clicked" } },
    body: { type: "link.clicked", data: { link_id: "lnk_42" } },
  });
  console.log(published.data?.data.deliveries, "deliveries enqueued");

  const log = await api.GET("/api/v1/links/webhooks/{id}/deliveries", {
    params: { path: { id: webhook.id }, query: { status: "failed", limit: 50 } },
  });
  for (const delivery of log.data?.data ?? []) {
    await api.POST("/api/v1/deliveries/{id}/retry", { params: { path: { id: delivery.id } } });
  }
}

/** What your endpoint receives, typed: the body of every delivery. */
export type ReceivedEvent = components["schemas"]["WebhookPayload"];
