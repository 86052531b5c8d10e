-- webhook_event_types becomes one b-tree per row (see src/db/schema.ts): WITHOUT ROWID, no index
-- on webhook_id, no foreign key. Its rows are always exactly their webhook's `events`, so the
-- triggers remove a webhook's rows by key from OLD.events, and a delete trigger replaces the cascade.
DROP TRIGGER `webhooks_subscribe_on_insert`;--> statement-breakpoint
DROP TRIGGER `webhooks_subscribe_on_update`;--> statement-breakpoint
CREATE TABLE `__new_webhook_event_types` (
	`tenant_id` text NOT NULL,
	`event_type` text NOT NULL,
	`webhook_id` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `event_type`, `webhook_id`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_webhook_event_types`(`tenant_id`, `event_type`, `webhook_id`) SELECT `tenant_id`, `event_type`, `webhook_id` FROM `webhook_event_types`;--> statement-breakpoint
DROP TABLE `webhook_event_types`;--> statement-breakpoint
ALTER TABLE `__new_webhook_event_types` RENAME TO `webhook_event_types`;--> statement-breakpoint
CREATE TRIGGER `webhooks_subscribe_on_insert` AFTER INSERT ON `webhooks`
BEGIN
  INSERT OR IGNORE INTO `webhook_event_types` (`tenant_id`, `event_type`, `webhook_id`)
    SELECT NEW.`tenant_id`, `value`, NEW.`id` FROM json_each(CASE WHEN json_valid(NEW.`events`) AND json_type(NEW.`events`) = 'array' THEN NEW.`events` ELSE '[]' END) WHERE `type` = 'text';
END;
--> statement-breakpoint
CREATE TRIGGER `webhooks_subscribe_on_update` AFTER UPDATE OF `events`, `tenant_id` ON `webhooks`
BEGIN
  DELETE FROM `webhook_event_types` WHERE `tenant_id` = OLD.`tenant_id` AND `webhook_id` = OLD.`id` AND `event_type` IN
    (SELECT `value` FROM json_each(CASE WHEN json_valid(OLD.`events`) AND json_type(OLD.`events`) = 'array' THEN OLD.`events` ELSE '[]' END) WHERE `type` = 'text');
  INSERT OR IGNORE INTO `webhook_event_types` (`tenant_id`, `event_type`, `webhook_id`)
    SELECT NEW.`tenant_id`, `value`, NEW.`id` FROM json_each(CASE WHEN json_valid(NEW.`events`) AND json_type(NEW.`events`) = 'array' THEN NEW.`events` ELSE '[]' END) WHERE `type` = 'text';
END;
--> statement-breakpoint
CREATE TRIGGER `webhooks_unsubscribe_on_delete` AFTER DELETE ON `webhooks`
BEGIN
  DELETE FROM `webhook_event_types` WHERE `tenant_id` = OLD.`tenant_id` AND `webhook_id` = OLD.`id` AND `event_type` IN
    (SELECT `value` FROM json_each(CASE WHEN json_valid(OLD.`events`) AND json_type(OLD.`events`) = 'array' THEN OLD.`events` ELSE '[]' END) WHERE `type` = 'text');
END;
