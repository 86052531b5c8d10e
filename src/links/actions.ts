// Webhook actions beyond CRUD: secret rotation and the test event. Plain functions, no HTTP.
import type { Store } from "../db/store";
import { TEST_EVENT_TYPE } from "../events/catalogue";
import { eventBody } from "../events/service";
import { Conflict, NotFound } from "../http/errors";
import { iso, newSortableId } from "../ids";
import { findWebhook, generateSecret, SECRET_OVERLAP_MS } from "./service";
import { signatureKindOf } from "../delivery/sign";

export { SECRET_OVERLAP_MS };

const notFound = (id: string) => new NotFound(`No webhook with id ${id}`);

export async function rotateWebhookSecret(store: Store, id: string, owner?: string, now = Date.now()) {
  const previousSecretExpiresAt = now + SECRET_OVERLAP_MS;
  // The new key is of the webhook's kind (an ed25519 webhook gets a new ed25519 key). A PATCH
  // switching the kind meanwhile is a race either way; the last write decides, as for any field.
  const kind = signatureKindOf((await findWebhook(store, id, owner)).secret);
  // Only one previous secret is kept: rotating twice within 24 h retires the oldest at once.
  if (!(await store.webhooks.rotateSecret(id, owner ?? null, generateSecret(kind), previousSecretExpiresAt, now))) throw notFound(id);
  // The new secret is not returned: GET …/secret is the one route that shows secrets.
  return { id, rotated_at: iso(now), previous_secret_expires_at: iso(previousSecretExpiresAt) };
}

export async function sendTestEvent(store: Store, webhookId: string, owner?: string, now = Date.now(), traceParent: string | null = null) {
  const id = newSortableId("evt", now);
  const data = { webhook_id: webhookId, message: "This is a test event sent by hookrelay." };
  const body = eventBody(id, TEST_EVENT_TYPE, now, data);
  const outcome = await store.webhooks.sendTest(webhookId, owner ?? null, { id, type: TEST_EVENT_TYPE, body, createdAt: now, traceParent });
  if (!outcome.sent) {
    if (outcome.reason === "missing") throw notFound(webhookId);
    throw new Conflict("The webhook is disabled; enable it (PATCH active: true) before testing it");
  }
  return { id, type: TEST_EVENT_TYPE, created_at: iso(now), deliveries: 1, delivery_id: outcome.deliveryId };
}
