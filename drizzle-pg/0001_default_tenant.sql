-- The tenant an install that never names one lives in (docs/tenancy.md); it always exists.
INSERT INTO "tenants" ("id", "name", "metadata", "created_at", "updated_at")
VALUES ('default', 'Default tenant', '{}', (extract(epoch from clock_timestamp()) * 1000)::bigint, (extract(epoch from clock_timestamp()) * 1000)::bigint)
ON CONFLICT ("id") DO NOTHING;
