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
-- Until now an event's id was both its key and the id publishers and receivers see.
UPDATE `events` SET `public_id` = `id`;--> statement-breakpoint
CREATE UNIQUE INDEX `events_tenant_idempotency_key_idx` ON `events` (`tenant_id`,`idempotency_key`) WHERE "events"."idempotency_key" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `events_tenant_public_id_idx` ON `events` (`tenant_id`,`public_id`);--> statement-breakpoint
ALTER TABLE `api_keys` ADD `tenant_id` text;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `can_publish` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `expires_at` integer;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `last_used_at` integer;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `kind` text DEFAULT 'api_key' NOT NULL;--> statement-breakpoint
CREATE INDEX `api_keys_tenant_idx` ON `api_keys` (`tenant_id`);--> statement-breakpoint
ALTER TABLE `deliveries` ADD `tenant_id` text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `tenant_id` text DEFAULT 'default' NOT NULL;--> statement-breakpoint
CREATE INDEX `webhooks_tenant_idx` ON `webhooks` (`tenant_id`);