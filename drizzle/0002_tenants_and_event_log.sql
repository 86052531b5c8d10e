CREATE TABLE `tenants` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text,
	`metadata` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
-- Every existing row moves into the tenant that always exists (docs/tenancy.md).
INSERT INTO `tenants` (`id`, `name`, `metadata`, `created_at`, `updated_at`)
  VALUES ('default', 'Default tenant', '{}', CAST(unixepoch('subsec') * 1000 AS INTEGER), CAST(unixepoch('subsec') * 1000 AS INTEGER));--> statement-breakpoint
DROP INDEX `events_idempotency_key_idx`;--> statement-breakpoint
ALTER TABLE `events` ADD `tenant_id` text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE `events` ADD `public_id` text;--> statement-breakpoint
ALTER TABLE `events` ADD `request_hash` text;--> statement-breakpoint
ALTER TABLE `events` ADD `source_id` text;--> statement-breakpoint
-- Until now an event's id was both its key and the id publishers and receivers see.
UPDATE `events` SET `public_id` = `id`;--> statement-breakpoint
-- Alerts raised before now name their traffic source only through their Discord delivery
-- (an alert for a level without a webhook had none, and stays unattached).
UPDATE `events` SET `source_id` = (
  SELECT `w`.`traffic_source_id` FROM `deliveries` `d` JOIN `traffic_source_webhooks` `w` ON `w`.`id` = `d`.`alert_webhook_id`
   WHERE `d`.`event_id` = `events`.`id` LIMIT 1)
 WHERE `type` LIKE 'alert.%';--> statement-breakpoint
CREATE UNIQUE INDEX `events_tenant_idempotency_key_idx` ON `events` (`tenant_id`,`idempotency_key`) WHERE "events"."idempotency_key" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `events_tenant_public_id_idx` ON `events` (`tenant_id`,`public_id`);--> statement-breakpoint
CREATE INDEX `events_tenant_created_idx` ON `events` (`tenant_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `events_tenant_type_created_idx` ON `events` (`tenant_id`,`type`,`created_at`);--> statement-breakpoint
CREATE INDEX `events_source_created_idx` ON `events` (`source_id`,`created_at`) WHERE "events"."source_id" is not null;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `tenant_id` text;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `can_publish` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `expires_at` integer;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `last_used_at` integer;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `kind` text DEFAULT 'api_key' NOT NULL;--> statement-breakpoint
CREATE INDEX `api_keys_tenant_idx` ON `api_keys` (`tenant_id`);--> statement-breakpoint
ALTER TABLE `deliveries` ADD `tenant_id` text DEFAULT 'default' NOT NULL;--> statement-breakpoint
CREATE INDEX `deliveries_tenant_created_idx` ON `deliveries` (`tenant_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `webhooks` ADD `tenant_id` text DEFAULT 'default' NOT NULL;--> statement-breakpoint
CREATE INDEX `webhooks_tenant_idx` ON `webhooks` (`tenant_id`);