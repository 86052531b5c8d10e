ALTER TABLE "webhook_event_types" DROP CONSTRAINT "webhook_event_types_webhook_id_webhooks_id_fk";
