ALTER TABLE `webhooks` ADD `retry_schedule` text;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `timeout_ms` integer;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `headers` text;