// `keys create | list | revoke` as real processes beside a running server on the same file:
// a tenant key made by the CLI works on the server's next request, and one revoked by the CLI
// is refused on the server's next request. A first start without ADMIN_API_KEY names the key it
// generated and says how to revoke it.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./helpers/app";
import { DEV_ENTRY, runCommand, startServerProcess, type ServerProcess } from "./helpers/process";

const ADMIN = "cli-keys-admin-key-0123456789";
const dir = tempDir("hookrelay-cli-keys-");
const DATABASE_PATH = join(dir, "hookrelay.db");
const servers: ServerProcess[] = [];
afterAll(async () => {
  for (const s of servers) await s.kill();
  rmSync(dir, { recursive: true, force: true });
});

const hookrelay = (args: string[], env: Record<string, string> = {}) =>
  runCommand([...DEV_ENTRY, ...args], { cwd: dir, env: { DATABASE_PATH, ...env } });
const lines = (text: string) => text.split("\n").filter((l) => l !== "");

describe("keys beside a running server", () => {
  test("create --tenant --can-publish --expires-in, list, revoke: each takes effect on the server's next request", async () => {
    const server = await startServerProcess({ DATABASE_PATH, ADMIN_API_KEY: ADMIN });
    servers.push(server);
    const call = (key: string, method = "GET", path = "/api/v1/links/webhooks", body?: unknown) =>
      fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    expect((await call(ADMIN, "PUT", "/api/v1/tenants/acme", { name: "Acme" })).status).toBe(201);

    const unknown = await hookrelay(["keys", "create", "--tenant", "nobody"]);
    expect([unknown.code, lines(unknown.stderr)]).toEqual([1, ["hookrelay: no tenant nobody: create it first with PUT /api/v1/tenants/nobody"]]);
    const badDuration = await hookrelay(["keys", "create", "--tenant", "acme", "--expires-in", "soon"]);
    expect(badDuration.code).toBe(2);

    const made = await hookrelay(["keys", "create", "--name", "acme backend", "--tenant", "acme", "--can-publish", "--expires-in", "30d"]);
    expect(made.code).toBe(0);
    const key = lines(made.stdout)[0]!;
    expect(key).toMatch(/^hr_[0-9A-Za-z]{40}$/);
    expect(made.stderr).toContain("key of tenant acme, may publish, expires ");
    const id = /Created API key (key_\w+)/.exec(made.stderr)![1]!;

    expect((await call(key)).status).toBe(200);
    const published = await call(key, "POST", "/api/v1/events", { type: "link.clicked", data: {} });
    expect(published.status).toBe(202);
    // Scoped: the platform-only routes are closed to it.
    expect((await call(key, "GET", "/api/v1/tenants")).status).toBe(403);

    const listed = await hookrelay(["keys", "list"]);
    expect(listed.code).toBe(0);
    const table = lines(listed.stdout);
    expect(table[0]).toMatch(/^ID\s+NAME\s+TENANT\s+KIND\s+PUBLISH\s+CREATED\s+LAST USED\s+EXPIRES\s+STATE$/);
    const row = table.find((l) => l.startsWith(id))!;
    expect(row).toContain("acme backend");
    expect(row).toMatch(/\sacme\s+api_key\s+yes\s/);
    expect(row).toMatch(/\sactive$/);
    expect(table.some((l) => l.includes("admin (ADMIN_API_KEY)") && l.includes("(platform)"))).toBe(true);
    expect(listed.stdout).not.toContain(key);
    expect(lines((await hookrelay(["keys", "list", "--tenant", "acme"])).stdout)).toHaveLength(2);

    const revoked = await hookrelay(["keys", "revoke", id]);
    expect(revoked.code).toBe(0);
    expect(revoked.stderr).toContain(`Revoked API key ${id}`);
    // The very next request, in another process than the one that revoked it.
    const refused = await call(key);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: "Unauthorized", message: "Authentication required. Please provide a valid API token", code: 401 });
    expect(lines((await hookrelay(["keys", "list"])).stdout).find((l) => l.startsWith(id))).toMatch(/revoked \S+$/);

    const missing = await hookrelay(["keys", "revoke", "key_nothing"]);
    expect([missing.code, lines(missing.stderr)]).toEqual([1, ["hookrelay: no API key with id key_nothing (see hookrelay keys list)"]]);
  }, 60_000);

  test("a first start without any key prints one, names it in keys list, and says how to revoke it", async () => {
    const path = join(dir, "generated.db");
    const server = await startServerProcess({ DATABASE_PATH: path }, { cmd: [...DEV_ENTRY, "serve"], cwd: dir });
    servers.push(server);
    expect(await server.stop()).toBe(0);
    const out = server.output();
    const key = /\n {4}(hr_[0-9A-Za-z]{40})\n/.exec(out)?.[1];
    expect(key).toBeString();
    const id = /hookrelay keys revoke (key_\w+)/.exec(out)?.[1];
    expect(id).toBeString();
    expect(out).toContain('It is "admin (generated)" in `hookrelay keys list`');
    const row = lines((await hookrelay(["keys", "list"], { DATABASE_PATH: path })).stdout).find((l) => l.startsWith(id!));
    expect(row).toContain("admin (generated)");
  }, 30_000);
});
