// Webhook actions beyond CRUD: secret rotation and the test event. Plain functions, no HTTP.
import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { webhooks } from "../db/schema";
import { TEST_EVENT_TYPE } from "../events/catalogue";
import { enqueueEvent } from "../events/outbox";
import { eventBody } from "../events/service";
import { Conflict } from "../http/errors";
import { iso, newSortableId } from "../ids";
import { findWebhookRow, generateSecret } from "./service";

/** How long the old secret keeps signing beside the new one after a rotation. */
export const SECRET_OVERLAP_MS = 24 * 60 * 60 * 1000;

export function rotateWebhookSecret(db: Db, id: string, owner?: string, now = Date.now()) {
  return db.transaction(
    () => {
      const row = findWebhookRow(db, id, owner);
      const secret = generateSecret();
      const previousSecretExpiresAt = now + SECRET_OVERLAP_MS;
      // Only one previous secret is kept: rotating twice within 24 h retires the oldest at once.
      db.update(webhooks)
        .set({ secret, previousSecret: row.secret, previousSecretExpiresAt, updatedAt: now })
        .where(eq(webhooks.id, id))
        .run();
      // The new secret is not returned: GET …/secret is the one route that shows secrets.
      return { id, rotated_at: iso(now), previous_secret_expires_at: iso(previousSecretExpiresAt) };
    },
    { behavior: "immediate" },
  );
}

export function sendTestEvent(db: Db, webhookId: string, owner?: string, now = Date.now(), traceParent: string | null = null) {
  return db.transaction(
    () => {
      const row = findWebhookRow(db, webhookId, owner);
      if (!row.active) throw new Conflict("The webhook is disabled; enable it (PATCH active: true) before testing it");
      const id = newSortableId("evt", now);
      const data = { webhook_id: webhookId, message: "This is a test event sent by hookrelay." };
      const body = eventBody(id, TEST_EVENT_TYPE, now, data);
      const event = { id, type: TEST_EVENT_TYPE, body, createdAt: now, tenantId: row.tenantId, traceParent };
      const [deliveryId] = enqueueEvent(db, event, [{ transport: "http", webhookId }]);
      return { id, type: TEST_EVENT_TYPE, created_at: iso(now), deliveries: 1, delivery_id: deliveryId! };
    },
    { behavior: "immediate" },
  );
}
