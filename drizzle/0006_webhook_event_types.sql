-- Subscriptions by event type, kept by triggers on webhooks (see src/db/schema.ts), backfilled
-- from every existing webhook's `events` (only JSON arrays of names count, as publish always read them).
CREATE TABLE `webhook_event_types` (
	`tenant_id` text NOT NULL,
	`event_type` text NOT NULL,
	`webhook_id` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `event_type`, `webhook_id`),
	FOREIGN KEY (`webhook_id`) REFERENCES `webhooks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webhook_event_types_webhook_idx` ON `webhook_event_types` (`webhook_id`);--> statement-breakpoint
INSERT OR IGNORE INTO `webhook_event_types` (`tenant_id`, `event_type`, `webhook_id`)
  SELECT `webhooks`.`tenant_id`, `types`.`value`, `webhooks`.`id`
    FROM `webhooks`, json_each(CASE WHEN json_valid(`webhooks`.`events`) AND json_type(`webhooks`.`events`) = 'array' THEN `webhooks`.`events` ELSE '[]' END) AS `types`
   WHERE `types`.`type` = 'text';
--> statement-breakpoint
CREATE TRIGGER `webhooks_subscribe_on_insert` AFTER INSERT ON `webhooks`
BEGIN
  INSERT OR IGNORE INTO `webhook_event_types` (`tenant_id`, `event_type`, `webhook_id`)
    SELECT NEW.`tenant_id`, `value`, NEW.`id` FROM json_each(CASE WHEN json_valid(NEW.`events`) AND json_type(NEW.`events`) = 'array' THEN NEW.`events` ELSE '[]' END) WHERE `type` = 'text';
END;
--> statement-breakpoint
CREATE TRIGGER `webhooks_subscribe_on_update` AFTER UPDATE OF `events`, `tenant_id` ON `webhooks`
BEGIN
  DELETE FROM `webhook_event_types` WHERE `webhook_id` = OLD.`id`;
  INSERT OR IGNORE INTO `webhook_event_types` (`tenant_id`, `event_type`, `webhook_id`)
    SELECT NEW.`tenant_id`, `value`, NEW.`id` FROM json_each(CASE WHEN json_valid(NEW.`events`) AND json_type(NEW.`events`) = 'array' THEN NEW.`events` ELSE '[]' END) WHERE `type` = 'text';
END;
