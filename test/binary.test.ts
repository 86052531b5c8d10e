// The single binary (README, One binary): built once into a temp dir, copied ALONE to another dir
// (no node_modules, no drizzle/, no public/ beside it) and run from there as real processes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { closeDatabase, openDatabase } from "../src/db/client";
import { VERSION } from "../src/version";
import { tempDir } from "./helpers/app";
import { REPO_ROOT, runCommand, startServerProcess, type ServerProcess } from "./helpers/process";

const ADMIN_KEY = "binary-test-admin-key-0123456789";
const runDir = tempDir("hookrelay-bin-");
const binary = join(runDir, "hookrelay");
const dataDir = join(runDir, "data");
const databasePath = join(dataDir, "hookrelay.db");
// A private temp dir: the binary unpacks its SQLite driver there.
const tmp = join(runDir, "tmp");
const env = { DATABASE_PATH: databasePath, PORT: "0", HOST: "127.0.0.1", ADMIN_API_KEY: ADMIN_KEY, TMPDIR: tmp, LOG_LEVEL: "info" };
let server: ServerProcess | undefined;

beforeAll(async () => {
  const buildDir = tempDir("hookrelay-build-");
  try {
    const built = await runCommand([process.execPath, "scripts/build.ts", "--outfile", join(buildDir, "hookrelay")], {
      cwd: REPO_ROOT,
      timeoutMs: 240_000,
    });
    if (built.code !== 0) throw new Error(`build failed (${built.code}):\n${built.stdout}${built.stderr}`);
    copyFileSync(join(buildDir, "hookrelay"), binary);
    chmodSync(binary, 0o755);
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
  mkdirSync(tmp);
}, 300_000);

afterAll(async () => {
  await server?.stop("SIGKILL");
  rmSync(runDir, { recursive: true, force: true });
});

const api = (path: string, init: RequestInit & { key?: string } = {}) =>
  fetch(`${server!.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${init.key ?? ADMIN_KEY}`, "content-type": "application/json", ...init.headers },
  });
const hookrelay = (args: string[], extraEnv: Record<string, string> = {}) =>
  runCommand([binary, ...args], { cwd: runDir, env: { ...env, ...extraEnv } });

describe("the compiled binary", () => {
  test("is a single file that knows its version", async () => {
    expect(readdirSync(runDir).sort()).toEqual(["hookrelay", "tmp"]);
    const r = await hookrelay(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`hookrelay ${VERSION}\n`);
  });

  test("needs a writable TMPDIR and says so in one line", async () => {
    const r = await hookrelay(["migrate"], { TMPDIR: join(runDir, "no-such-dir") });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual([
      `hookrelay: TMPDIR must be a writable directory (the SQLite driver is unpacked there at start-up), got "${join(runDir, "no-such-dir")}"`,
    ]);
  });

  let webhook: Record<string, unknown>;

  test("serves from a fresh database with its embedded migrations", async () => {
    server = await startServerProcess(env, { cmd: [binary], cwd: runDir });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    // The background checkpointer is a second entry point of the binary; it must have started.
    expect(server.output()).toContain('"msg":"checkpointer: running"');
    expect(server.output()).not.toContain("checkpointer: worker unavailable");
    const res = await api("/api/v1/links/webhooks", {
      method: "POST",
      body: JSON.stringify({ url: "https://hooks.example.com/in", events: ["link.created"], metadata: { team: "ops" } }),
    });
    expect(res.status).toBe(201);
    webhook = ((await res.json()) as { data: Record<string, unknown> }).data;
    expect(webhook.id).toMatch(/^whk_/);
  });

  test("serves the API reference and its script from inside the binary", async () => {
    const page = await fetch(`${server!.url}/swagger`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="/swagger/scalar.js"');
    const bundle = await fetch(`${server!.url}/swagger/scalar.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toStartWith("text/javascript");
    expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000);
  });

  test("health probes the running server, for the Docker HEALTHCHECK", async () => {
    const port = new URL(server!.url).port;
    const ok = await hookrelay(["health", "--port", port]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(`http://127.0.0.1:${port}/health ok\n`);

    const unhealthy = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("no", { status: 503 }) });
    const unhealthyPort = unhealthy.port;
    const down = await hookrelay(["health", "--port", String(unhealthyPort)]);
    unhealthy.stop(true);
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(`hookrelay: http://127.0.0.1:${unhealthyPort}/health answered 503\n`);
  });

  test("keys create and backup work beside the running server", async () => {
    const created = await hookrelay(["keys", "create", "--name", "second"]);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect((await api("/api/v1/links/webhooks", { key })).status).toBe(200);

    const target = join(runDir, "backup.db");
    const backup = await hookrelay(["backup", target]);
    expect(backup.code).toBe(0);
    const copy = openDatabase(target);
    const rows = copy.$client.prepare("SELECT id, url FROM webhooks").all();
    closeDatabase(copy);
    expect(rows).toEqual([{ id: webhook.id, url: "https://hooks.example.com/in" }]);
  });

  test("stops on SIGTERM, and a restart reads back what was stored", async () => {
    expect(await server!.stop("SIGTERM")).toBe(0);
    expect(server!.output()).toContain('"msg":"stopped"');

    server = await startServerProcess(env, { cmd: [binary], cwd: runDir });
    const res = await api(`/api/v1/links/webhooks/${webhook.id}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: unknown }).data).toMatchObject(webhook);
    expect(await server.stop("SIGTERM")).toBe(0);
    server = undefined;
  });
});
