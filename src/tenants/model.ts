// Tenant shapes, declared once for validation, types and OpenAPI (docs/tenancy.md).
import { t } from "elysia";
import { PageQuery } from "../http/pagination";

export const TENANT_ID_PATTERN = "^[A-Za-z0-9_.-]{1,64}$";

export const TenantId = t.String({
  pattern: TENANT_ID_PATTERN,
  error: "Must be 1 to 64 characters of letters, digits, '_', '.' or '-'",
  description: "The tenant (one customer of your product): your own id for that customer. `default` when absent.",
  examples: ["acme-retail"],
});

export const TenantIdParams = t.Object({ id: TenantId });

// Any key, including ones with line breaks (see links/model.ts MetadataKey).
const Metadata = t.Record(t.String({ pattern: "^[\\s\\S]*$" }), t.Unknown(), {
  error: "Must be a JSON object of at most 16 KiB",
  description: "Arbitrary metadata attached to the tenant.",
});

export const PutTenantBody = t.Object(
  {
    name: t.Optional(t.Union([t.String({ minLength: 1, maxLength: 200 }), t.Null()], { error: "Must be a string of 1 to 200 characters or null" })),
    metadata: t.Optional(Metadata),
  },
  { error: "Must be a JSON object" },
);
export type PutTenantBody = typeof PutTenantBody.static;

export const Tenant = t.Object({
  id: t.String({ examples: ["acme-retail"] }),
  name: t.Union([t.String(), t.Null()], { examples: ["Acme Retail"] }),
  metadata: t.Record(t.String(), t.Unknown()),
  created_at: t.String({ examples: ["2026-12-02T10:00:00.000Z"] }),
  updated_at: t.String({ examples: ["2026-12-02T10:00:00.000Z"] }),
});
export type Tenant = typeof Tenant.static;

export const TenantListQuery = t.Object({ ...PageQuery });

export const DeletedTenant = t.Object({
  id: t.String(),
  deleted: t.Literal(true),
  removed: t.Object(
    {
      webhooks: t.Integer(),
      events: t.Integer(),
      deliveries: t.Integer(),
      api_keys: t.Integer(),
    },
    { description: "What was removed with the tenant." },
  ),
});

export const MAX_PORTAL_SECONDS = 7 * 24 * 3600;
export const DEFAULT_PORTAL_SECONDS = 3600;

export const PortalBody = t.Object(
  {
    expires_in: t.Optional(
      t.Integer({
        minimum: 60,
        maximum: MAX_PORTAL_SECONDS,
        error: `Must be an integer number of seconds from 60 to ${MAX_PORTAL_SECONDS} (7 days)`,
        description: "How long the link works, in seconds (default 3600).",
      }),
    ),
  },
  { error: "Must be a JSON object" },
);

export const PortalLink = t.Object({
  url: t.String({ description: "Open it in a browser: the console, signed in as this tenant.", examples: ["https://hooks.example.com/#portal=hrp_…"] }),
  expires_at: t.String({ examples: ["2026-12-02T11:00:00.000Z"] }),
});
