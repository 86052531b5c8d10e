// Builds the Elysia app from its dependencies. It never listens: index.ts does, tests call
// app.handle() or listen on port 0 themselves.
import { Elysia } from "elysia";
import { apiKeyGate } from "./auth/api-key-auth";
import { sessionGate } from "./auth/user-auth";
import type { AppDeps } from "./deps";
import { jsonBody } from "./http/body-parser";
import { errorHandler } from "./http/error-handler";
import { noteWriteLockHeld } from "./db/busy";
import { requestLog } from "./http/request-log";
import { dropUnknownFieldsOfAnyName } from "./http/unknown-fields";
import { deliveryRoutes } from "./delivery-log/routes";
import { eventRoutes } from "./events/routes";
import { linkWebhookActionRoutes } from "./links/action-routes";
import { linkWebhookRoutes } from "./links/routes";
import { healthRoutes } from "./health/routes";
import { authRoutes } from "./auth/routes";
import { trafficSourceRoutes } from "./traffic-sources/routes";
import { userAdminRoutes } from "./users/routes";
import { consoleRoutes } from "./console/routes";
import { tenantRoutes } from "./tenants/routes";
import { apiKeyRoutes } from "./api-keys/routes";
import { eventTypeRoutes } from "./event-types/routes";
import { apiReferenceRoutes } from "./docs/api-reference";

export function buildApp(deps: AppDeps) {
  // "typebox" normalisation strips unknown fields without Elysia's default coercion, which
  // would turn `"metadata": [1]` into `{"0": 1}` instead of rejecting it.
  const app = new Elysia({ normalize: "typebox" })
    .use(requestLog({ logger: deps.logger, metrics: deps.metrics.http, tracing: deps.tracing }))
    .use(errorHandler(deps.logger, () => deps.db && noteWriteLockHeld(deps.db)))
    .use(apiKeyGate(deps.store.apiKeys))
    .use(sessionGate(deps.store.sessions))
    .use(jsonBody)
    .use(apiReferenceRoutes())
    .use(healthRoutes(deps))
    .use(linkWebhookRoutes(deps))
    .use(linkWebhookActionRoutes(deps))
    .use(deliveryRoutes(deps))
    .use(eventRoutes(deps))
    .use(eventTypeRoutes(deps))
    .use(tenantRoutes(deps))
    .use(apiKeyRoutes(deps))
    .use(userAdminRoutes(deps))
    .use(authRoutes(deps))
    .use(trafficSourceRoutes(deps))
    .use(consoleRoutes(deps));
  dropUnknownFieldsOfAnyName(app.routes);
  return app;
}

export type App = ReturnType<typeof buildApp>;
