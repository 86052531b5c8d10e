ALTER TABLE "webhooks" ADD COLUMN "retry_schedule" text;--> statement-breakpoint
ALTER TABLE "webhooks" ADD COLUMN "timeout_ms" integer;--> statement-breakpoint
ALTER TABLE "webhooks" ADD COLUMN "headers" text;