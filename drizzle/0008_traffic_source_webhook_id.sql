-- One name for a traffic source's Discord webhooks (table traffic_source_webhooks): the
-- deliveries column that points at one was alert_webhook_id. RENAME COLUMN keeps the rows, the
-- foreign key and the index's contents in place; SQLite cannot rename an index, so it is rebuilt.
ALTER TABLE `deliveries` RENAME COLUMN `alert_webhook_id` TO `traffic_source_webhook_id`;--> statement-breakpoint
DROP INDEX `deliveries_alert_webhook_idx`;--> statement-breakpoint
CREATE INDEX `deliveries_traffic_source_webhook_idx` ON `deliveries` (`traffic_source_webhook_id`,`created_at`);
