// One `serve` per port and per database file, on real processes: a second server on a taken
// port or on a file in use exits 1 with one line; one-shot commands keep working beside a
// running server; the file's lock goes with its process, even after kill -9, and a restarted
// server retries what the killed one had in flight at once instead of when the lease runs out.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ADMIN_KEY, tempDir } from "./helpers/app";
import { startReceiver, waitFor } from "./helpers/delivery";
import { DEV_ENTRY, runCommand, startServerProcess, type ServerProcess } from "./helpers/process";

const dir = tempDir("hookrelay-exclusive-");
const running: ServerProcess[] = [];
afterAll(async () => {
  for (const server of running) await server.kill();
  rmSync(dir, { recursive: true, force: true });
});

async function serve(env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServerProcess({ ADMIN_API_KEY: ADMIN_KEY, ...env });
  running.push(server);
  return server;
}

const hookrelay = (args: string[], env: Record<string, string>) =>
  runCommand([...DEV_ENTRY, ...args], { cwd: dir, env: { HOST: "127.0.0.1", LOG_LEVEL: "warn", ...env } });
const lines = (text: string) => text.split("\n").filter((l) => l !== "");
const portOf = (url: string) => new URL(url).port;

describe("a second serve", () => {
  test("on a port in use exits 1 with one line naming PORT", async () => {
    // In a folder that does not exist yet: the first start creates it (and its lock beside the file).
    const first = await serve({ DATABASE_PATH: join(dir, "new-folder", "port-a.db") });
    const port = portOf(first.url);
    const second = await hookrelay(["serve"], { DATABASE_PATH: join(dir, "port-b.db"), PORT: port });
    expect(second.code).toBe(1);
    expect(lines(second.stderr)).toEqual([`hookrelay: PORT ${port} is already in use on HOST 127.0.0.1 (another process listens on 127.0.0.1:${port})`]);
    // The first one still answers every request: the port was not shared.
    for (let i = 0; i < 5; i++) expect((await fetch(`${first.url}/health`)).status).toBe(200);
  }, 30_000);

  test("on a database file in use exits 1 with one line; one-shot commands work beside it", async () => {
    const path = join(dir, "shared.db");
    const first = await serve({ DATABASE_PATH: path });
    const second = await hookrelay(["serve"], { DATABASE_PATH: path, PORT: "0" });
    expect(second.code).toBe(1);
    expect(lines(second.stderr)).toEqual([
      `hookrelay: DATABASE_PATH ${path} is in use by another hookrelay serve (it holds ${path}.lock); run one serve per database file`,
    ]);
    // Another spelling of the same file is the same file.
    const relative = await hookrelay(["serve"], { DATABASE_PATH: "./shared.db", PORT: "0" });
    expect(relative.code).toBe(1);
    expect(relative.stderr).toContain("is in use by another hookrelay serve");

    const env = { DATABASE_PATH: path };
    expect((await hookrelay(["migrate"], env)).code).toBe(0);
    const key = await hookrelay(["keys", "create", "--name", "beside"], env);
    expect(key.code).toBe(0);
    expect((await hookrelay(["users", "create", "--email", "beside@example.com"], env)).code).toBe(0);
    expect((await hookrelay(["users", "list"], env)).stdout).toContain("beside@example.com");
    expect((await hookrelay(["backup", join(dir, "beside-backup.db")], env)).code).toBe(0);
    // What they wrote is what the running server sees.
    const res = await fetch(`${first.url}/api/v1/links/webhooks`, { headers: { authorization: `Bearer ${lines(key.stdout)[0]}` } });
    expect(res.status).toBe(200);
  }, 60_000);
});

describe("a lock file that is not SQLite's", () => {
  test("stops serve with one line saying it can go", async () => {
    const path = join(dir, "garbled.db");
    writeFileSync(`${path}.lock`, "x".repeat(200));
    const r = await hookrelay(["serve"], { DATABASE_PATH: path, PORT: "0" });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      `hookrelay: DATABASE_PATH ${path} cannot be used: its lock file ${path}.lock failed (file is not a database); remove it if no hookrelay serve runs`,
    ]);
  });
});

describe("after kill -9", () => {
  test("the lock is gone, and the restarted server retries the killed one's in-flight delivery at once", async () => {
    let releaseHang!: () => void;
    const hang = new Promise<void>((resolve) => (releaseHang = resolve));
    // The first request never gets an answer while the first server lives; later ones succeed.
    const rx = startReceiver((_req, index) => (index === 0 ? hang.then(() => new Response(null, { status: 204 })) : new Response(null, { status: 204 })));
    // Leases last 3 × 20 s: a retry within the wait below can only come from the release at start.
    const env = { DATABASE_PATH: join(dir, "killed.db"), DELIVERY_ALLOW_PRIVATE: "1", DELIVERY_TIMEOUT_MS: "20000", DELIVERY_POLL_MS: "50" };
    try {
      const first = await serve(env);
      const headers = { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" };
      const post = (url: string, path: string, body: unknown) => fetch(url + path, { method: "POST", headers, body: JSON.stringify(body) });
      const created = await post(first.url, "/api/v1/links/webhooks", { url: rx.url, events: ["link.clicked"] });
      expect(created.status).toBe(201);
      const webhookId = ((await created.json()) as { data: { id: string } }).data.id;
      const published = await post(first.url, "/api/v1/events", { type: "link.clicked", data: { n: 1 } });
      expect(published.status).toBe(202);
      const eventId = ((await published.json()) as { data: { id: string } }).data.id;
      await waitFor(() => rx.received.length === 1, 10_000, "the delivery in flight");

      await first.kill();
      // Starting at all shows the lock went with the killed process.
      const second = await serve(env);
      await waitFor(() => rx.received.length >= 2, 15_000, "the retry after the restart (the lease would hold it for 60 s)");
      expect(rx.received[1]!.headers["webhook-id"]).toBe(eventId);
      const log = async () =>
        ((await (await fetch(`${second.url}/api/v1/links/webhooks/${webhookId}/deliveries`, { headers })).json()) as { data: { status: string }[] }).data;
      await waitFor(async () => (await log())[0]?.status === "delivered", 10_000, "the delivery recorded as delivered");
    } finally {
      releaseHang();
      rx.stop();
    }
  }, 60_000);
});
