// Real hookrelay processes for tests, for claims only a process can prove (SIGKILL, restart on
// the same database file, exit codes, the compiled binary): one-shot commands, and servers
// started and stopped with signals. Every wait is bounded; the environment is exactly what the
// test passes plus PATH, so a developer's shell (OTEL_*, LOG_*) cannot change what a test sees.
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

/** Runs `cmd` to its exit (SIGKILL after `timeoutMs`) and collects both streams. */
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

/** A server on 127.0.0.1, on a port of its own choosing, logging its "listening" line. */
const SERVER_DEFAULTS = { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info" };

/** The URL of the "listening" line, in the JSON format or in LOG_FORMAT=pretty. */
const LISTENING = /"msg":"listening","url":"([^"]+)"|INFO {2}listening url=(\S+)/;

/** Output kept per server: the newest part, so a long soak cannot grow a test's memory. */
const OUTPUT_KEPT = 4_000_000;

export interface ServerOptions {
  /** The command; the development entry by default. */
  cmd?: string[];
  cwd?: string;
  /** How long the server may take to log that it listens. */
  startTimeoutMs?: number;
}

export interface ServerProcess {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  url: string;
  /** Everything written to stdout and stderr so far (the newest 4 MB). */
  output(): string;
  /** Resolves once the output matches `pattern`, with the match; rejects after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Sends the signal and resolves with the exit code (SIGKILL after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number>;
  /** SIGKILL, then wait for the exit: the port and the database are free afterwards. No-op once exited. */
  kill(): Promise<void>;
}

/**
 * Starts a server with `env` over PORT=0, HOST=127.0.0.1 and LOG_LEVEL=info, and resolves once
 * it logs that it listens. Both streams are drained for the whole life of the process, so the
 * child never blocks on a full pipe. A server that exits or stays silent is killed, and the
 * rejection carries its output.
 */
export async function startServerProcess(env: Record<string, string> = {}, options: ServerOptions = {}): Promise<ServerProcess> {
  const proc = Bun.spawn(options.cmd ?? DEV_ENTRY, {
    env: baseEnv({ ...SERVER_DEFAULTS, ...env }),
    cwd: options.cwd,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let text = "";
  const watchers = new Set<() => void>();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      if (text.length > OUTPUT_KEPT) text = text.slice(-OUTPUT_KEPT / 2);
      for (const watch of watchers) watch();
    }
  };
  void pump(proc.stdout).catch(() => {});
  void pump(proc.stderr).catch(() => {});

  function waitForOutput(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        watchers.delete(check);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no output matching ${pattern} within ${timeoutMs} ms; output:\n${text}`));
      }, timeoutMs);
      const check = () => {
        const match = pattern.exec(text);
        if (match) {
          done();
          resolve(match);
        }
      };
      watchers.add(check);
      check();
    });
  }

  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(`no "listening" line within ${startTimeoutMs} ms`), startTimeoutMs);
    function fail(reason: string) {
      clearTimeout(timer);
      watchers.delete(check);
      proc.kill("SIGKILL");
      reject(new Error(`${reason}; output:\n${text}`));
    }
    function check() {
      const match = LISTENING.exec(text);
      if (!match) return;
      clearTimeout(timer);
      watchers.delete(check);
      resolve((match[1] ?? match[2])!);
    }
    watchers.add(check);
    // A little later, so the reason comes with the last lines it wrote. No-op once listening.
    void proc.exited.then((code) => Bun.sleep(50).then(() => fail(`exited with ${code} before listening`)));
    check();
  });

  return {
    proc,
    url,
    output: () => text,
    waitForOutput,
    async stop(signal = "SIGTERM", timeoutMs = 10_000) {
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
      const code = await proc.exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}

/** Starts the development entry and SIGKILLs it after `afterMs`, listening or not (a kill during start-up). */
export async function killDuringStart(env: Record<string, string>, afterMs: number): Promise<void> {
  const proc = Bun.spawn(DEV_ENTRY, {
    env: baseEnv({ ...SERVER_DEFAULTS, LOG_LEVEL: "silent", ...env }),
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
  });
  await Bun.sleep(afterMs);
  proc.kill("SIGKILL");
  await proc.exited;
}
