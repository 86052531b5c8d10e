// The API reference at /swagger works offline (DESIGN.md §1): the swagger plugin's page loads
// Scalar from our own route instead of a CDN, and Scalar is told not to fetch fonts, send
// telemetry or offer its hosted AI agent. The bundle ships inside the binary (src/assets.ts).
import { Elysia } from "elysia";
import { SCALAR_BUNDLE, assetFile } from "../assets";

export const SCALAR_BUNDLE_URL = "/swagger/scalar.js";

/** Spread into `swagger({...})`. */
export const offlineScalar = {
  scalarCDN: SCALAR_BUNDLE_URL,
  scalarConfig: {
    withDefaultFonts: false,
    telemetry: false,
    agent: { disabled: true },
    mcp: { disabled: true },
    // Its toolbar offers sharing and deploying through scalar.com.
    showDeveloperTools: "never",
  } as Record<string, unknown>,
};

export function scalarBundleRoute() {
  const file = assetFile(SCALAR_BUNDLE);
  if (!file) throw new Error(`${SCALAR_BUNDLE} is missing: run bun install`);
  return new Elysia({ name: "docs/scalar-bundle" }).get(
    SCALAR_BUNDLE_URL,
    ({ set }) => {
      set.headers["content-type"] = "text/javascript; charset=utf-8";
      // The bundle changes only with an upgrade; a day of caching is a fair trade.
      set.headers["cache-control"] = "public, max-age=86400";
      return file;
    },
    { detail: { hide: true } },
  );
}
