// The API reference works with no internet (docs/architecture.md): /swagger loads Scalar from hookrelay
// itself, and a real browser that may reach nothing but 127.0.0.1 renders it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chromium } from "playwright-core";
import { createTestApp, type TestApp } from "./helpers/app";

let t: TestApp;
let origin: string;

beforeAll(() => {
  t = createTestApp();
  const server = t.app.listen({ port: 0, hostname: "127.0.0.1" }).server!;
  origin = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await t.app.stop(true);
  t.close();
});

describe("/swagger", () => {
  test("the page references no other host and loads its script from us", async () => {
    const res = await t.request("GET", "/swagger", undefined, { auth: "none" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/html");
    // No absolute or protocol-relative URL anywhere: not in src/href, not in CSS url(), not in config.
    expect(res.text).not.toMatch(/[a-z][a-z0-9+.-]*:\/\//i);
    expect(res.text).not.toMatch(/(src|href)\s*=\s*["']\/\//i);
    const scripts = [...res.text.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toEqual(["/swagger/scalar.js"]);
  });

  test("Scalar is told not to fetch fonts, send telemetry or offer hosted services", async () => {
    const res = await t.request("GET", "/swagger", undefined, { auth: "none" });
    const config = JSON.parse(/data-configuration='([^']*)'/.exec(res.text)![1]!);
    expect(config).toMatchObject({
      withDefaultFonts: false,
      telemetry: false,
      agent: { disabled: true },
      mcp: { disabled: true },
      showDeveloperTools: "never",
    });
  });

  test("the bundle is Scalar's standalone build, served as JavaScript", async () => {
    const res = await t.request("GET", "/swagger/scalar.js", undefined, { auth: "none" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.text.length).toBeGreaterThan(1_000_000);
    expect(res.text).toContain("@scalar/api-reference");
  });

  test("the bundle route is not part of the documented API", async () => {
    const spec = await t.request("GET", "/swagger/json", undefined, { auth: "none" });
    expect(spec.status).toBe(200);
    expect(Object.keys(spec.body.paths)).not.toContain("/swagger/scalar.js");
    expect(Object.keys(spec.body.paths)).toContain("/api/v1/links/webhooks");
  });

  test("a browser that can reach only 127.0.0.1 renders the reference", async () => {
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });
    try {
      const page = await browser.newPage();
      const requested: string[] = [];
      await page.route("**/*", (route) => {
        const url = route.request().url();
        requested.push(url);
        return url.startsWith(`${origin}/`) ? route.continue() : route.abort();
      });
      await page.goto(`${origin}/swagger`);
      // The document's title, rendered by Scalar from /swagger/json.
      await page.getByRole("heading", { name: "hookrelay", level: 1 }).waitFor({ timeout: 20_000 });
      expect(requested.filter((u) => !u.startsWith(`${origin}/`))).toEqual([]);
      expect(requested).toEqual(expect.arrayContaining([`${origin}/swagger`, `${origin}/swagger/scalar.js`, `${origin}/swagger/json`]));
    } finally {
      await browser.close();
    }
  }, 40_000);
});
