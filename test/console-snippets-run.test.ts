// "Correct to paste": the JavaScript snippet the console shows is run as a program (by Bun,
// which every machine running these tests has) against the real server, and must create the
// webhook it describes.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildRequest, findOperation } from "../public/js/operations.js";
import { snippet } from "../public/js/snippets.js";
import { loadConfig } from "../src/config";
import { startServer, type RunningServer } from "../src/server";
import { tempDir } from "./helpers/app";

const KEY = "console-snippet-run-key-0123456789";
let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = tempDir("hookrelay-snippet-run-");
  server = await startServer(loadConfig({ PORT: "0", HOST: "127.0.0.1", DATABASE_PATH: join(dir, "db.sqlite"), ADMIN_API_KEY: KEY, LOG_LEVEL: "silent" }));
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("the JavaScript (fetch) snippet runs as written and creates the webhook", async () => {
  const metadata = { note: "it's `odd` \"quoted\" \\ ${x} $(id)\n ünï", team: "growth" };
  const request = buildRequest(
    findOperation("create-webhook")!,
    { url: "https://api.acme-retail.com/webhooks/links", events: ["uptime.down", "link.clicked"], secret: "example_string", metadata: JSON.stringify(metadata) },
    { bearer: "", apiKey: KEY },
    server.url,
  );
  const file = join(dir, "snippet.mjs");
  writeFileSync(file, snippet("javascript", request));
  const run = Bun.spawn(["bun", file], { stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => run.kill(), 10_000);
  const [code, stdout] = await Promise.all([run.exited, new Response(run.stdout).text()]);
  clearTimeout(timer);
  expect(code).toBe(0);
  expect(stdout).toContain("whk_");

  const list = await fetch(`${server.url}/api/v1/links/webhooks`, { headers: { "x-api-key": KEY } }).then((r) => r.json());
  expect(list.data).toHaveLength(1);
  expect(list.data[0]).toMatchObject({ url: "https://api.acme-retail.com/webhooks/links", events: ["link.clicked", "uptime.down"], metadata });
  expect(stdout).toContain(list.data[0].id);
}, 15_000);
