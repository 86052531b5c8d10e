// Runs the real entry point (`bun src/index.ts`) as a child process for claims about processes:
// SIGKILL, restart on the same database file. Stdout is drained continuously (the server logs
// every request) and scanned for the "listening" line that carries the URL.
import { join } from "node:path";

export interface ServerProcess {
  url: string;
  child: ReturnType<typeof Bun.spawn>;
  /** SIGKILL, then wait for the exit: the port and the database are free afterwards. */
  kill(): Promise<void>;
  /** SIGTERM (graceful), then wait for the exit. */
  stop(): Promise<number>;
}

const ENTRY = join(import.meta.dir, "../../src/index.ts");

/** Starts the entry point and SIGKILLs it after `afterMs`, listening or not (a kill during start-up). */
export async function killDuringStart(env: Record<string, string>, afterMs: number): Promise<void> {
  const child = Bun.spawn([process.execPath, ENTRY], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", ...env },
    stdout: "ignore",
    stderr: "ignore",
  });
  await Bun.sleep(afterMs);
  child.kill("SIGKILL");
  await child.exited;
}

export async function startServerProcess(env: Record<string, string>, startTimeoutMs = 15_000): Promise<ServerProcess> {
  const child = Bun.spawn([process.execPath, ENTRY], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within ${startTimeoutMs} ms`)), startTimeoutMs);
    void child.exited.then((code) => reject(new Error(`server exited with ${code} before listening`)));
    const decoder = new TextDecoder();
    let tail = "";
    let found = false;
    (async () => {
      for await (const chunk of child.stdout) {
        if (found) continue; // keep draining so the child never blocks on a full pipe
        tail = (tail + decoder.decode(chunk, { stream: true })).slice(-100_000);
        const match = /"msg":"listening","url":"([^"]+)"/.exec(tail);
        if (match) {
          found = true;
          clearTimeout(timer);
          resolve(match[1]!);
        }
      }
    })().catch(() => {});
    void (async () => {
      for await (const _ of child.stderr) {
        // drained; start-up errors surface as the exit above
      }
    })().catch(() => {});
  });
  return {
    url,
    child,
    async kill() {
      child.kill("SIGKILL");
      await child.exited;
    },
    async stop() {
      child.kill("SIGTERM");
      return child.exited;
    },
  };
}
