ALTER TABLE "deliveries" ADD COLUMN "fifo" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "seq" bigint NOT NULL GENERATED ALWAYS AS IDENTITY (sequence name "deliveries_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1);--> statement-breakpoint
ALTER TABLE "webhooks" ADD COLUMN "ordering" text;--> statement-breakpoint
ALTER TABLE "webhooks" ADD COLUMN "rate_limit" integer;--> statement-breakpoint
ALTER TABLE "webhooks" ADD COLUMN "rate_limit_tat_us" bigint;--> statement-breakpoint
CREATE INDEX "deliveries_fifo_idx" ON "deliveries" USING btree ("webhook_id","status","seq") WHERE "deliveries"."fifo";