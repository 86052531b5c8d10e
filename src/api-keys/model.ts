// API key shapes, declared once for validation, types and OpenAPI (docs/tenancy.md).
import { t } from "elysia";
import { PageQuery } from "../http/pagination";
import { TenantId } from "../tenants/model";

export const CreateApiKeyBody = t.Object(
  {
    name: t.String({ minLength: 1, maxLength: 100, error: "Must be a string of 1 to 100 characters", examples: ["acme-retail backend"] }),
    tenant_id: t.Optional(TenantId),
    can_publish: t.Optional(
      t.Boolean({ error: "Must be true or false", description: "Whether the key may publish events. Default: true for platform keys, false for tenant keys." }),
    ),
    expires_at: t.Optional(
      t.String({ error: "Must be an ISO-8601 date-time in the future", description: "When the key stops working. Never, when absent.", examples: ["2027-01-01T00:00:00.000Z"] }),
    ),
  },
  { error: "Must be a JSON object with a name" },
);
export type CreateApiKeyBody = typeof CreateApiKeyBody.static;

const Kind = t.Union([t.Literal("api_key"), t.Literal("portal")], { description: "`portal`: the token of a portal link." });

export const ApiKey = t.Object({
  id: t.String({ examples: ["key_0FcZk3Qb8xL2mN7pR4sT"] }),
  name: t.String({ examples: ["acme-retail backend"] }),
  kind: Kind,
  tenant_id: t.Union([t.String(), t.Null()], { description: "Null for a platform key (acts on every tenant)." }),
  can_publish: t.Boolean(),
  created_at: t.String(),
  last_used_at: t.Union([t.String(), t.Null()], { description: "Kept to the minute." }),
  expires_at: t.Union([t.String(), t.Null()]),
  revoked_at: t.Union([t.String(), t.Null()]),
});

export const CreatedApiKeyResponse = t.Object({
  ...ApiKey.properties,
  key: t.String({ description: "The key itself, shown only in this answer.", examples: ["hr_…"] }),
});

export const ApiKeyIdParams = t.Object({ id: t.String() });

export const ApiKeyListQuery = t.Object({
  ...PageQuery,
  tenant_id: t.Optional(TenantId),
  kind: t.Optional(Kind),
});

export const CurrentCaller = t.Object({
  key_id: t.String(),
  kind: Kind,
  tenant_id: t.Union([t.String(), t.Null()], { description: "Null for a platform key." }),
  tenant_name: t.Union([t.String(), t.Null()]),
  can_publish: t.Boolean(),
  expires_at: t.Union([t.String(), t.Null()]),
});
