ALTER TABLE "deliveries" RENAME COLUMN "alert_webhook_id" TO "traffic_source_webhook_id";--> statement-breakpoint
ALTER TABLE "deliveries" DROP CONSTRAINT "deliveries_alert_webhook_id_traffic_source_webhooks_id_fk";
--> statement-breakpoint
DROP INDEX "deliveries_alert_webhook_idx";--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_traffic_source_webhook_id_traffic_source_webhooks_id_fk" FOREIGN KEY ("traffic_source_webhook_id") REFERENCES "public"."traffic_source_webhooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "deliveries_traffic_source_webhook_idx" ON "deliveries" USING btree ("traffic_source_webhook_id","created_at","id");