// Client side of servers/receiver.ts.
import { join } from "node:path";
import { freePort, type Running } from "./processes";

export interface ReceiverStats {
  count: number;
  firstMs: number;
  lastMs: number;
}

export interface Receiver extends Running {
  stats(): Promise<ReceiverStats>;
  reset(): Promise<void>;
  /** Resolves when `count` requests arrived; rejects after `timeoutMs`. */
  waitForCount(count: number, timeoutMs: number): Promise<ReceiverStats>;
}

export async function startReceiver(): Promise<Receiver> {
  const port = freePort();
  const proc = Bun.spawn(["bun", join(import.meta.dir, "../servers/receiver.ts")], {
    env: { ...process.env, PORT: String(port) },
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = proc.stdout.getReader();
  const { value } = await reader.read();
  if (!new TextDecoder().decode(value).startsWith("READY")) {
    proc.kill();
    throw new Error("receiver did not start");
  }
  reader.releaseLock();
  const url = `http://127.0.0.1:${port}`;
  const stats = async () => (await (await fetch(`${url}/stats`)).json()) as ReceiverStats;
  return {
    url,
    pid: proc.pid,
    proc,
    stats,
    async reset() {
      await (await fetch(`${url}/reset`, { method: "POST" })).arrayBuffer();
    },
    async waitForCount(count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const s = await stats();
        if (s.count >= count) return s;
        if (Date.now() > deadline) throw new Error(`receiver got ${s.count} of ${count} requests within ${timeoutMs} ms`);
        await Bun.sleep(50);
      }
    },
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}
