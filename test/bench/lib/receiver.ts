// Client side of servers/receiver.ts.
import { startBenchServer, type Running } from "./processes";

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
  // Probed on /stats: any other path counts as a delivery.
  const server = await startBenchServer("receiver.ts", "/stats");
  const { url } = server;
  const stats = async () => (await (await fetch(`${url}/stats`)).json()) as ReceiverStats;
  return {
    ...server,
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
  };
}
