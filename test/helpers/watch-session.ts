// What the console's browser sessions of the Deliveries view run against: the real server with
// a short retry schedule, and a local receiver that fails (500) until the test fixes it.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config";
import { startServer, type RunningServer } from "../../src/server";
import { tempDir } from "./app";

export interface WatchSession {
  dir: string;
  server: RunningServer;
  receiver: ReturnType<typeof Bun.serve>;
  /** Bodies the receiver got, in order. */
  received: string[];
  /** While true the receiver answers 500 "receiver down". */
  failing: { value: boolean };
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export const WATCH_ADMIN_KEY = "console-watch-admin-key-0123456789";
/** Three attempts two seconds apart, then failed: a delivery fails within a few auto-refreshes. */
const RETRY_SCHEDULE = "2,2";

export async function startWatchSession(prefix: string): Promise<WatchSession> {
  const dir = tempDir(prefix);
  const received: string[] = [];
  const failing = { value: true };
  const receiver = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      received.push(await request.text());
      return failing.value ? new Response("receiver down", { status: 500 }) : new Response("thanks", { status: 200 });
    },
  });
  const server = await startServer(
    loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      DATABASE_PATH: join(dir, "watch.db"),
      ADMIN_API_KEY: WATCH_ADMIN_KEY,
      DELIVERY_ALLOW_PRIVATE: "1",
      DELIVERY_RETRY_SCHEDULE: RETRY_SCHEDULE,
      DELIVERY_POLL_MS: "100",
      LOG_LEVEL: "silent",
    }),
  );
  async function admin(method: string, path: string, body?: unknown) {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${WATCH_ADMIN_KEY}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  return {
    dir, server, receiver, received, failing, admin,
    async close() {
      await server.stop();
      receiver.stop(true);
      for (const suffix of ["", "-wal", "-shm"]) rmSync(join(dir, `watch.db${suffix}`), { force: true });
    },
  };
}

/** Polls `check` every 100 ms until it returns something other than undefined, for at most `ms`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await Bun.sleep(100);
  }
}
