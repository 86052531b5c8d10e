// Wake-up across nodes (docs/scaling.md): every write that makes deliveries due (a publish, a
// retry, a webhook test) sends NOTIFY on DELIVERY_CHANNEL in its transaction, so PostgreSQL
// delivers it at commit, and only then, to every node listening. Each node holds one connection
// for LISTEN beside its pool. Polling stays the fallback: a notice lost while that connection is
// down costs at most one DELIVERY_POLL_MS, and Bun's client listens again once it reconnects.
import { SQL } from "bun";
import { DELIVERY_CHANNEL } from "./publish";

export interface WorkListener {
  stop(): Promise<void>;
}

/** Calls `onWork` whenever any node committed new due deliveries. */
export async function listenForWork(url: string, onWork: () => void): Promise<WorkListener> {
  const connection = new SQL({ url, max: 1 });
  try {
    const subscription = await connection.listen(DELIVERY_CHANNEL, () => onWork());
    return {
      async stop() {
        await subscription.unlisten().catch(() => {});
        await connection.close();
      },
    };
  } catch (e) {
    await connection.close();
    throw e;
  }
}
