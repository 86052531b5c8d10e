// Builds the Elysia app from its dependencies. It never listens: index.ts does, tests call
// app.handle() or listen on port 0 themselves.
import { swagger } from "@elysiajs/swagger";
import { Elysia } from "elysia";
import { apiKeyGate } from "./auth/api-key-auth";
import { sessionGate } from "./auth/user-auth";
import type { AppDeps } from "./deps";
import { jsonBody } from "./http/body-parser";
import { errorHandler } from "./http/error-handler";
import { noteWriteLockHeld } from "./db/busy";
import { requestLog } from "./http/request-log";
import { deliveryRoutes } from "./deliveries/routes";
import { eventRoutes } from "./events/routes";
import { linkWebhookActionRoutes } from "./links/action-routes";
import { linkWebhookRoutes } from "./links/routes";
import { healthRoutes } from "./health/routes";
import { authRoutes } from "./auth/routes";
import { trafficSourceRoutes } from "./traffic-sources/routes";
import { userAdminRoutes } from "./users/routes";
import { consoleRoutes } from "./console/routes";
import { VERSION } from "./version";
import { offlineScalar, scalarBundleRoute } from "./docs/api-reference";

export function buildApp(deps: AppDeps) {
  // "typebox" normalisation strips unknown fields without Elysia's default coercion, which
  // would turn `"metadata": [1]` into `{"0": 1}` instead of rejecting it.
  return new Elysia({ normalize: "typebox" })
    .use(requestLog(deps.logger))
    .use(errorHandler(deps.logger, () => noteWriteLockHeld(deps.db)))
    .use(apiKeyGate(deps.db))
    .use(sessionGate(deps.db))
    .use(jsonBody)
    .use(
      swagger({
        path: "/swagger",
        ...offlineScalar,
        documentation: {
          info: {
            title: "hookrelay",
            version: VERSION,
            description: "Self-hosted webhook delivery: link-event webhooks (surface A) and traffic-source alerts (surface B).",
          },
          components: {
            securitySchemes: {
              bearerAuth: { type: "http", scheme: "bearer", description: "Admin API key as bearer token. Format: Bearer YOUR_ADMIN_KEY" },
              sessionToken: { type: "http", scheme: "bearer", description: "Session token from POST /auth/login (surface B)." },
              apiKeyHeader: {
                type: "apiKey",
                in: "header",
                name: "x-api-key",
                description: "Alternative to the Authorization header for server-to-server scenarios.",
              },
            },
          },
          security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
        },
      }),
    )
    .use(scalarBundleRoute())
    .use(healthRoutes(deps))
    .use(linkWebhookRoutes(deps))
    .use(linkWebhookActionRoutes(deps))
    .use(deliveryRoutes(deps))
    .use(eventRoutes(deps))
    .use(userAdminRoutes(deps))
    .use(authRoutes(deps))
    .use(trafficSourceRoutes(deps))
    .use(consoleRoutes(deps));
}

export type App = ReturnType<typeof buildApp>;
