// Serving public/ at `/`: content types, cache validation, not-found in the API's envelope,
// no way out of the folder, and the same files whatever the working directory.
import { afterAll, describe, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { ASSET_ROOT } from "../src/assets";
import { relativeFilePath, shippedPublicFile } from "../src/console/routes";
import { createTestApp, tempDir } from "./helpers/app";
import { startServerProcess } from "./helpers/process";

const PUBLIC_DIR = join(ASSET_ROOT, "public");

const t = createTestApp();
afterAll(() => t.close());
const get = (path: string, headers: Record<string, string> = {}) => t.app.handle(new Request(`http://localhost${path}`, { headers }));

describe("console files", () => {
  test.each([
    ["/", "text/html; charset=utf-8"],
    ["/index.html", "text/html; charset=utf-8"],
    ["/css/console.css", "text/css; charset=utf-8"],
    ["/js/console.js", "text/javascript; charset=utf-8"],
    ["/js/snippets.js", "text/javascript; charset=utf-8"],
    ["/favicon.svg", "image/svg+xml"],
  ])("%s is served as %s", async (path, type) => {
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(type);
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const onDisk = await Bun.file(join(PUBLIC_DIR, path === "/" ? "index.html" : path.slice(1))).text();
    expect(await res.text()).toBe(onDisk);
  });

  test("the page is the console, and may only talk to its own origin", async () => {
    const res = await get("/");
    const html = await res.text();
    expect(html).toContain("Response will appear here after sending the request");
    expect(res.headers.get("content-security-policy")).toContain("connect-src 'self'");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    // Nothing in public/ names another host (no CDN script, style, font or image); the one
    // exception is the example endpoint of docs/api-guide.md, shown as a placeholder and never fetched.
    const foreign: string[] = [];
    for await (const file of new Bun.Glob("**/*.{html,css,js,svg}").scan(PUBLIC_DIR)) {
      const text = await Bun.file(join(PUBLIC_DIR, file)).text();
      for (const [url, host] of text.matchAll(/\bhttps?:\/\/([a-z0-9.-]+)/gi)) {
        if (host !== "api.acme-retail.com" && host !== "www.w3.org") foreign.push(`${file}: ${url}`);
      }
      if (/@import|url\(/.test(text)) foreign.push(`${file}: css import or url()`);
    }
    expect(foreign).toEqual([]);
  });

  test("an unchanged file answers 304 to its ETag", async () => {
    const first = await get("/js/operations.js");
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-z]+"$/);
    const again = await get("/js/operations.js", { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expect((await get("/js/operations.js", { "if-none-match": '"other"' })).status).toBe(200);
  });

  test.each(["/missing.js", "/js/", "/js", "/.hidden", "/js/%2e%2e%2fpackage.json", "/%E0%A4%A", "/js/..%5c..%5cpackage.json"])(
    "%s is a 404 in the error envelope",
    async (path) => {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: "Not Found", message: "The requested route does not exist", code: 404 });
    },
  );

  test("API routes and unknown API paths are untouched", async () => {
    expect((await t.request("GET", "/api/v1/links/webhooks")).status).toBe(200);
    expect((await t.request("GET", "/api/v1/nothing-here")).status).toBe(404);
  });
});

describe("no way out of the folder", () => {
  test("URL paths that could climb out or reach hidden files are refused", () => {
    expect(relativeFilePath("/")).toBe("index.html");
    expect(relativeFilePath("/js/app.js")).toBe("js/app.js");
    expect(relativeFilePath("/docs/")).toBe("docs/index.html");
    for (const path of ["/../package.json", "/js/../../x", "/%2e%2e/x", "/js/%2e%2e%2fx", "/a%2fb", "/a%5cb", "/a%00b", "/.env", "/js//x", "/%zz"]) {
      expect(relativeFilePath(path)).toBeUndefined();
    }
  });

  test("the file source never reads outside public/, even when handed a climbing path", async () => {
    expect(await (await shippedPublicFile("js/snippets.js"))?.text()).toBe(await Bun.file(join(PUBLIC_DIR, "js/snippets.js")).text());
    for (const path of ["../package.json", "js/../../package.json", "/etc/passwd", resolve(PUBLIC_DIR, "../package.json"), ".", "", "js", "index.html\0"]) {
      expect(await shippedPublicFile(path)).toBeUndefined();
    }
  });
});

test("the real server serves the console when started from another directory", async () => {
  const cwd = tempDir("hookrelay-cwd-");
  const server = await startServerProcess(
    { DATABASE_PATH: join(cwd, "db.sqlite"), ADMIN_API_KEY: "console-cwd-key-0123456789" },
    { cwd },
  );
  try {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("<title>hookrelay console</title>");
    expect((await fetch(`${server.url}/js/snippets.js`)).headers.get("content-type")).toBe("text/javascript; charset=utf-8");
  } finally {
    await server.stop();
  }
}, 15_000);
