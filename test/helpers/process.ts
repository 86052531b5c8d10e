// Real hookrelay processes for tests: one-shot commands and a server started and stopped with
// signals. Every wait is bounded; the environment is exactly what the test passes, plus PATH.
import type { Subprocess } from "bun";

export const REPO_ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
/** `bun src/index.ts`, the development entry. */
export const DEV_ENTRY = [process.execPath, `${REPO_ROOT}/src/index.ts`];

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  stdin?: string;
  timeoutMs?: number;
}

function baseEnv(env: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env };
}

export async function runCommand(cmd: string[], options: RunOptions = {}): Promise<CommandResult> {
  const proc = Bun.spawn(cmd, {
    env: baseEnv(options.env),
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "ignore" : new TextEncoder().encode(options.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 20_000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export interface ServerProcess {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  url: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Sends the signal and resolves with the exit code (SIGKILL after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number>;
}

/** Starts `cmd` and resolves once it logs that it listens (PORT=0 picks a free port). */
export async function startServerProcess(cmd: string[], options: RunOptions = {}): Promise<ServerProcess> {
  const proc = Bun.spawn(cmd, { env: baseEnv(options.env), cwd: options.cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let text = "";
  let onData = () => {};
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      onData();
    }
  };
  void pump(proc.stdout);
  void pump(proc.stderr);

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`no "listening" line within ${options.timeoutMs ?? 15_000} ms`)), options.timeoutMs ?? 15_000);
    function fail(error: Error) {
      clearTimeout(timer);
      proc.kill("SIGKILL");
      reject(new Error(`${error.message}; output:\n${text}`));
    }
    onData = () => {
      const match = /"msg":"listening","url":"([^"]+)"/.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    void proc.exited.then((code) => fail(new Error(`exited with ${code} before listening`)));
    onData();
  });

  return {
    proc,
    url,
    output: () => text,
    async stop(signal = "SIGTERM", timeoutMs = 10_000) {
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
      const code = await proc.exited;
      clearTimeout(timer);
      return code;
    },
  };
}
