ALTER TABLE `deliveries` ADD `fifo` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `deliveries_fifo_idx` ON `deliveries` (`webhook_id`,`status`) WHERE "deliveries"."fifo" = 1;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `ordering` text;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `rate_limit` integer;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `rate_limit_tat_us` integer;