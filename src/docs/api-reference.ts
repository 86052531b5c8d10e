// The API reference: the OpenAPI document at /swagger/json and Scalar's page at /swagger.
// The page works offline (docs/architecture.md): it loads Scalar from our own route instead of
// a CDN, and Scalar is told not to fetch fonts, send telemetry or offer its hosted AI agent.
// The bundle ships inside the binary (src/assets.ts).
import { ScalarRender } from "@elysiajs/openapi/scalar";
import { Elysia } from "elysia";
import { SCALAR_BUNDLE, assetFile } from "../assets";
import { buildApiDocument } from "./openapi-document";

export const REFERENCE_PATH = "/swagger";
export const DOCUMENT_PATH = "/swagger/json";
export const SCALAR_BUNDLE_URL = "/swagger/scalar.js";

export const SCALAR_CONFIG = {
  url: DOCUMENT_PATH,
  cdn: SCALAR_BUNDLE_URL,
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  mcp: { disabled: true },
  // Its toolbar offers sharing and deploying through scalar.com.
  showDeveloperTools: "never",
};

const PAGE_INFO = { title: "hookrelay API reference", description: "The hookrelay API: link-event webhooks and traffic-source alerts." };

export function apiReferenceRoutes() {
  const bundle = assetFile(SCALAR_BUNDLE);
  if (!bundle) throw new Error(`${SCALAR_BUNDLE} is missing: run bun install`);
  const page = ScalarRender(PAGE_INFO as never, { ...SCALAR_CONFIG } as never);
  const plugin = new Elysia({ name: "docs/api-reference", detail: { hide: true } });
  // Built on first request, once every route is registered; rebuilt if routes are added later.
  let cached: { routes: number; document: object } | undefined;
  return plugin
    .get(REFERENCE_PATH, () => new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } }))
    .get(DOCUMENT_PATH, () => {
      const routes = plugin.routes.length;
      if (cached?.routes !== routes) cached = { routes, document: buildApiDocument(plugin) };
      return cached.document;
    })
    .get(SCALAR_BUNDLE_URL, ({ set }) => {
      set.headers["content-type"] = "text/javascript; charset=utf-8";
      // The bundle changes only with an upgrade; a day of caching is a fair trade.
      set.headers["cache-control"] = "public, max-age=86400";
      return bundle;
    });
}
