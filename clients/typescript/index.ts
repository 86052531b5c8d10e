// A typed hookrelay client: openapi-fetch over the types openapi-typescript generated from
// the OpenAPI document (schema.d.ts). Every path, body, parameter and answer is checked by
// the TypeScript compiler; nothing here is hand-written per route.
import createClient, { type ClientOptions } from "openapi-fetch";
import type { paths } from "./schema";

export type { components, operations, paths, webhooks } from "./schema";

export interface HookrelayClientOptions extends Omit<ClientOptions, "headers"> {
  /** Where hookrelay listens, e.g. `http://localhost:3000`. */
  baseUrl: string;
  /**
   * Sent as `Authorization: Bearer …`: an API key for the `/api/v1/*` routes, or a session
   * token from `POST /auth/login` for the traffic-source routes.
   */
  token?: string;
  /** More headers for every request. */
  headers?: Record<string, string>;
}

export function createHookrelayClient({ token, headers, ...options }: HookrelayClientOptions) {
  return createClient<paths>({
    ...options,
    headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers },
  });
}

export type HookrelayClient = ReturnType<typeof createHookrelayClient>;
