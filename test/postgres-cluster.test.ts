// The throwaway clusters of the PostgreSQL tests (helpers/postgres.ts): reachable only on
// 127.0.0.1 with the password of an ordinary role, independent of each other, and gone when
// stopped or when the test runner dies.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./helpers/process";
import { startTestPostgres, type TestPostgres } from "./helpers/postgres";

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startTestPostgres();
}, 30_000);
afterAll(() => pg?.stop());

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await Bun.sleep(20);
  return condition();
}

const postmasterPid = (dir: string) => Number(readFileSync(join(dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);

describe("throwaway PostgreSQL clusters", () => {
  test("the URL reaches a fresh database on 127.0.0.1 as an ordinary role", async () => {
    const url = new URL(pg.url);
    expect(url.hostname).toBe("127.0.0.1");
    expect(url.username).toBe("hookrelay");
    const client = new SQL({ url: pg.url, max: 1 });
    try {
      const [row] = await client`SELECT current_user AS who, current_database() AS db, inet_server_addr()::text AS addr,
        (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
        (SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public') AS tables`;
      expect(row).toEqual({ who: "hookrelay", db: url.pathname.slice(1), addr: "127.0.0.1/32", superuser: false, tables: 0 });
    } finally {
      await client.close();
    }
  }, 20_000);

  test("a wrong password is refused", async () => {
    const url = new URL(pg.url);
    url.password = "wrong";
    const client = new SQL({ url: url.toString(), max: 1, connectionTimeout: 5 });
    try {
      const error = await client`SELECT 1`.then(() => undefined, (e: Error) => e);
      expect(String(error)).toContain("password authentication failed");
    } finally {
      await client.close();
    }
  }, 20_000);

  test("each database is its own, and two clusters run side by side", async () => {
    const other = await startTestPostgres();
    try {
      expect(other.port).not.toBe(pg.port);
      const a = new SQL({ url: pg.url, max: 1 });
      const b = new SQL({ url: await pg.createDatabase(), max: 1 });
      const c = new SQL({ url: other.url, max: 1 });
      try {
        await a`CREATE TABLE marker (x int)`;
        for (const client of [b, c]) expect((await client`SELECT to_regclass('public.marker') AS t`)[0].t).toBeNull();
      } finally {
        await Promise.all([a.close(), b.close(), c.close()]);
      }
    } finally {
      await other.stop();
    }
    expect(existsSync(other.dir)).toBe(false);
  }, 30_000);

  test("stop() shuts the server down and removes its directory", async () => {
    const cluster = await startTestPostgres();
    const pid = postmasterPid(cluster.dir);
    await cluster.stop();
    expect(alive(pid)).toBe(false);
    expect(existsSync(cluster.dir)).toBe(false);
    const client = new SQL({ url: cluster.url, max: 1, connectionTimeout: 2 });
    try {
      expect(await client`SELECT 1`.then(() => "answered", () => "refused")).toBe("refused");
    } finally {
      await client.close();
    }
    await cluster.stop(); // twice is harmless
  }, 30_000);

  test("a test runner killed with SIGKILL leaves no server behind, and the next start removes its directory", async () => {
    const runner = Bun.spawn(
      [process.execPath, "--eval", `
        const { startTestPostgres } = await import(${JSON.stringify(`${REPO_ROOT}/test/helpers/postgres.ts`)});
        const cluster = await startTestPostgres();
        console.log(JSON.stringify({ dir: cluster.dir }));
        await Bun.sleep(60_000);`],
      { stdin: "ignore", stdout: "pipe", stderr: "inherit", timeout: 60_000 },
    );
    const reader = runner.stdout.getReader();
    const { value } = await reader.read();
    const { dir } = JSON.parse(new TextDecoder().decode(value)) as { dir: string };
    const pid = postmasterPid(dir);
    expect(alive(pid)).toBe(true);

    runner.kill("SIGKILL");
    await runner.exited;
    // The postmaster received SIGQUIT (immediate shutdown) when its parent died.
    expect(await until(() => !alive(pid), 10_000)).toBe(true);
    expect(existsSync(dir)).toBe(true);
    const next = await startTestPostgres();
    await next.stop();
    expect(existsSync(dir)).toBe(false);
  }, 60_000);
});
