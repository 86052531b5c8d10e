// Starts hold-write-lock.ts as a child process and resolves once it holds the lock.
const SCRIPT = new URL("./hold-write-lock.ts", import.meta.url).pathname;

export interface HeldWriteLock {
  /** Commits (releasing the lock) and waits for the holder to exit. */
  release(): Promise<void>;
}

export async function holdWriteLock(databasePath: string): Promise<HeldWriteLock> {
  const child = Bun.spawn([process.execPath, SCRIPT, databasePath], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  while (!text.includes("locked\n")) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`lock holder exited before locking: ${text}`);
    text += decoder.decode(value, { stream: true });
  }
  clearTimeout(timer);
  return {
    async release() {
      child.stdin.write("release\n");
      await child.stdin.end();
      const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await child.exited;
      clearTimeout(kill);
    },
  };
}
