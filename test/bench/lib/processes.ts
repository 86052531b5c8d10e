// Processes under test: the real hookrelay entry point and the bare Bun.serve baseline, each
// in its own process on 127.0.0.1, so the load generator measures both through the same
// sockets and neither shares an event loop with the bench driver.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";

export const ROOT = resolve(import.meta.dir, "../../..");
export const ADMIN_KEY = "bench-admin-key-0123456789abcdef";

export interface Running {
  url: string;
  pid: number;
  proc: Subprocess;
  dir?: string;
  stop(): Promise<void>;
}

export function freePort(): number {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

async function waitFor(url: string, proc: Subprocess, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode} before ${url} answered`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch {
      /* not listening yet */
    }
    await Bun.sleep(50);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

async function stopProcess(proc: Subprocess): Promise<void> {
  if (proc.exitCode !== null) return;
  proc.kill("SIGTERM");
  const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(5000).then(() => false)]);
  if (!exited) {
    proc.kill("SIGKILL");
    await proc.exited;
  }
}

const words = (s: string | undefined) => (s ?? "").split(/\s+/).filter(Boolean);

/**
 * `bun src/index.ts` over a fresh SQLite file in a temp dir; extra env overrides the defaults.
 * For experiments: BENCH_SERVER_ENV="LOG_LEVEL=info DELIVERY_CONCURRENCY=128" overrides the
 * server's environment, BENCH_BUN_FLAGS="--smol" adds flags to its `bun` command.
 */
export async function startHookrelay(env: Record<string, string> = {}): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), "hookrelay-bench-"));
  const port = freePort();
  const proc = Bun.spawn(["bun", ...words(process.env.BENCH_BUN_FLAGS), join(ROOT, "src/index.ts")], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/tmp",
      TMPDIR: process.env.TMPDIR ?? "/tmp",
      HOST: "127.0.0.1",
      PORT: String(port),
      DATABASE_PATH: join(dir, "bench.db"),
      ADMIN_API_KEY: ADMIN_KEY,
      LOG_LEVEL: "warn",
      ...env,
      ...Object.fromEntries(words(process.env.BENCH_SERVER_ENV).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)])),
    },
    stdout: "ignore",
    stderr: "inherit",
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${url}/health`, proc);
  } catch (e) {
    await stopProcess(proc);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    url,
    pid: proc.pid,
    proc,
    dir,
    async stop() {
      await stopProcess(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One of test/bench/servers/ in its own process on a free port, once `probePath` answers. */
export async function startBenchServer(script: string, probePath = "/"): Promise<Running> {
  const port = freePort();
  const proc = Bun.spawn(["bun", join(import.meta.dir, "../servers", script)], {
    env: { ...process.env, PORT: String(port) },
    stdout: "ignore",
    stderr: "inherit",
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}${probePath}`, proc).catch(async (e) => {
    await stopProcess(proc);
    throw e;
  });
  return { url, pid: proc.pid, proc, stop: () => stopProcess(proc) };
}

export const startBareJson = () => startBenchServer("bare-json.ts");

/** Resident set size now and its high-water mark, in MiB, from /proc (Linux). */
export function rssOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
}
