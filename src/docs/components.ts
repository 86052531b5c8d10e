// The named schemas of the OpenAPI document: each is declared once under components.schemas
// and referred to from every operation that uses it, so generated clients get one type per
// name. Naming a schema for a new route is one line here; the schema itself stays in its
// feature's model.ts.
import type { TSchema } from "elysia";
import { CreateUserBody, LoginBody, LoginResponse, UserSchema } from "../auth/model";
import { BulkRetried, BulkRetryBody, Delivery, DeliveryAttempt, DeliveryWithAttempts, RecoverBody, Recovered } from "../delivery-log/model";
import { EventDetail, EventSummary, PublishedEvent, PublishEventBody } from "../events/model";
import { EventTypeInfo, PutEventTypeBody } from "../event-types/model";
import { ApiKey, CreateApiKeyBody, CreatedApiKeyResponse, CurrentCaller } from "../api-keys/model";
import { DeletedTenant, PortalBody, PortalLink, PutTenantBody, Tenant } from "../tenants/model";
import { DOC_KEYS, ErrorBody, FieldErrorSchema, Pagination } from "../http/schemas";
import { CreatedWebhook, CreateWebhookBody, SecretRotation, UpdateWebhookBody, Webhook, WebhookSecret } from "../links/model";
import {
  Alert as AlertDetail,
  AlertSummary,
  TrafficSourceWebhook,
  CreateTrafficSourceWebhookBody,
  CreateTrafficSourceBody,
  RaiseAlertBody,
  RaisedAlert,
  TrafficSource,
  UpdateTrafficSourceWebhookBody,
} from "../traffic-sources/model";
import { DeliveryExhaustedEvent, WebhookDisabledEvent, WebhookPayload } from "./outgoing-webhooks";

export const COMPONENT_SCHEMAS: Record<string, TSchema> = {
  // shared
  Error: ErrorBody,
  FieldError: FieldErrorSchema,
  Pagination,
  // surface A: webhooks, events, deliveries
  CreateWebhookRequest: CreateWebhookBody,
  UpdateWebhookRequest: UpdateWebhookBody,
  CreatedWebhook,
  Webhook,
  WebhookSecret,
  SecretRotation,
  PublishEventRequest: PublishEventBody,
  Event: PublishedEvent,
  EventType: EventTypeInfo,
  PutEventTypeRequest: PutEventTypeBody,
  Delivery,
  DeliveryWithAttempts,
  Attempt: DeliveryAttempt,
  RecoverRequest: RecoverBody,
  RecoverResult: Recovered,
  BulkRetryRequest: BulkRetryBody,
  BulkRetryResult: BulkRetried,
  EventSummary,
  EventDetail,
  // tenants and keys
  PutTenantRequest: PutTenantBody,
  Tenant,
  DeletedTenant,
  PortalLinkRequest: PortalBody,
  PortalLink,
  CreateApiKeyRequest: CreateApiKeyBody,
  ApiKey,
  CreatedApiKey: CreatedApiKeyResponse,
  CurrentApiKey: CurrentCaller,
  WebhookPayload,
  WebhookDisabledEvent,
  DeliveryExhaustedEvent,
  // users and surface B
  CreateUserRequest: CreateUserBody,
  User: UserSchema,
  LoginRequest: LoginBody,
  Session: LoginResponse,
  CreateTrafficSourceRequest: CreateTrafficSourceBody,
  TrafficSource,
  CreateTrafficSourceWebhookRequest: CreateTrafficSourceWebhookBody,
  UpdateTrafficSourceWebhookRequest: UpdateTrafficSourceWebhookBody,
  TrafficSourceWebhook,
  RaiseAlertRequest: RaiseAlertBody,
  Alert: RaisedAlert,
  AlertSummary,
  AlertDetail,
};

// Marks each schema object with its name; the document builder (openapi-schemas.ts) moves every
// marked schema into components.schemas. TypeBox and Elysia ignore the key.
for (const [name, schema] of Object.entries(COMPONENT_SCHEMAS)) (schema as Record<string, unknown>)[DOC_KEYS.componentName] = name;
