// A throwaway PostgreSQL cluster for one test file: initdb into a temp dir, the postmaster on a
// free port of 127.0.0.1 with its unix socket in that dir, stopped and removed by `stop()`.
//
// One cluster per test file, not one per run: `bun test` gives a file no hook at the end of the
// run, so only a file's own afterAll can stop a cluster for certain; a file that kills, fills or
// reconfigures its cluster cannot disturb another; it costs about a second. The postmaster is
// tied to the test process (parent-death signal), so a runner killed mid-test leaves no server
// behind, and the next start removes temp dirs whose runner has died.
//
// PostgreSQL refuses to run as root, so as root the cluster runs as the unprivileged `postgres`
// user (Debian's package creates it; scripts/ensure-postgres.sh installs it). Servers get a login
// role `hookrelay` with a password, not the superuser: what an operator would hand a node.
import type { Subprocess } from "bun";
import { SQL } from "bun";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPostgres {
  /** A fresh, empty database owned by the `hookrelay` role: `postgres://hookrelay:…@127.0.0.1:…/…`. */
  url: string;
  port: number;
  /** The cluster's temp dir: data/, the unix socket, postgres.log. Gone after `stop()`. */
  dir: string;
  /** Another fresh, empty database on the same cluster; resolves with its URL. */
  createDatabase(): Promise<string>;
  /** A superuser client over the unix socket (close it when done). */
  admin(): SQL;
  /** The server's log so far (for failure messages). */
  log(): string;
  /** Fast shutdown (bounded), then the temp dir is removed. Safe to call twice. */
  stop(): Promise<void>;
}

const DIR_PREFIX = "hookrelay-pg-";
const ROLE = "hookrelay";
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;
/** A port taken between our probe and the postmaster's bind: try another one. */
const PORT_ATTEMPTS = 3;

/** Debian's layout first (/usr/lib/postgresql/<major>/bin, newest major), then pg_config. */
export function postgresBinDir(): string {
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const majors = readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a));
    if (majors[0]) return join(root, majors[0], "bin");
  }
  const pgConfig = Bun.which("pg_config");
  if (pgConfig) {
    const dir = Bun.spawnSync([pgConfig, "--bindir"], { timeout: 5_000 }).stdout.toString().trim();
    if (dir && existsSync(join(dir, "initdb"))) return dir;
  }
  throw new Error("PostgreSQL's initdb was not found: run scripts/ensure-postgres.sh (as root it installs Debian's postgresql)");
}

/** As root: uid/gid of `postgres`, the user every cluster runs as. Otherwise null (ourselves). */
function clusterUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("postgres:"));
  if (!line) throw new Error("as root the test cluster runs as the user `postgres`, which does not exist: run scripts/ensure-postgres.sh");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * `cmd` as the cluster's user, killed with SIGQUIT (PostgreSQL's immediate shutdown) if this
 * process dies. setpriv sets the parent-death signal after switching user, where it survives.
 */
function asClusterUser(cmd: string[], user: { uid: number; gid: number } | null): string[] {
  const setpriv = Bun.which("setpriv") ?? "/usr/bin/setpriv";
  const drop = user ? [`--reuid=${user.uid}`, `--regid=${user.gid}`, "--init-groups"] : [];
  return [setpriv, ...drop, "--pdeathsig=SIGQUIT", "--", ...cmd];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes clusters of test runs that died: their owner is gone and so is their postmaster. */
function sweepAbandoned(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    try {
      const owner = Number(readFileSync(join(dir, "owner.pid"), "utf8"));
      if (alive(owner)) continue;
      const pidFile = join(dir, "data", "postmaster.pid");
      if (existsSync(pidFile) && alive(Number(readFileSync(pidFile, "utf8").split("\n")[0]))) continue;
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Being created or removed by another run right now: not ours to judge.
    }
  }
}

async function freePort(): Promise<number> {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = probe;
  probe.stop(true);
  return port;
}

async function run(cmd: string[], env: Record<string, string>, timeoutMs: number): Promise<void> {
  const proc = Bun.spawn(cmd, { env, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: timeoutMs, killSignal: "SIGKILL" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited with ${code}:\n${out}${err}`);
}

/** Resolves once postmaster.pid says `ready` (what pg_ctl -w waits for); rejects if it exits. */
async function waitReady(proc: Subprocess, dataDir: string, log: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`postgres exited at start-up:\n${log()}`);
    try {
      const status = readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[7]?.trim();
      if (status === "ready") return;
    } catch {
      // Not written yet.
    }
    await Bun.sleep(10);
  }
  proc.kill("SIGKILL");
  throw new Error(`postgres was not ready within ${START_TIMEOUT_MS} ms:\n${log()}`);
}

export async function startTestPostgres(): Promise<TestPostgres> {
  sweepAbandoned();
  const bin = postgresBinDir();
  const user = clusterUser();
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
  writeFileSync(join(dir, "owner.pid"), String(process.pid));
  if (user) chownSync(dir, user.uid, user.gid);
  const dataDir = join(dir, "data");
  const logFile = join(dir, "postgres.log");
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", TZ: "UTC" };
  const log = () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
  const password = Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("hex");

  let proc: Subprocess | undefined;
  let port = 0;
  try {
    // Local (socket) connections trust, as the admin client uses; TCP needs the password.
    await run(
      asClusterUser([join(bin, "initdb"), "-D", dataDir, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C"], user),
      env,
      30_000,
    );
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      // Durability off: a test cluster never outlives its run, and nothing crashes the server itself.
      const settings = ["listen_addresses=127.0.0.1", `port=${port}`, `unix_socket_directories=${dir}`, "fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=200"];
      proc = Bun.spawn(asClusterUser([join(bin, "postgres"), "-D", dataDir, ...settings.flatMap((s) => ["-c", s])], user), {
        env,
        stdin: "ignore",
        stdout: "ignore", // postgres logs to stderr
        stderr: Bun.file(logFile),
      });
      try {
        await waitReady(proc, dataDir, log);
        break;
      } catch (e) {
        if (attempt >= PORT_ATTEMPTS || !log().includes("could not bind")) throw e;
      }
    }
  } catch (e) {
    proc?.kill("SIGKILL");
    await proc?.exited;
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const admin = () => new SQL({ path: dir, port, username: "postgres", database: "postgres", max: 1, connectionTimeout: 10 });
  const setup = admin();
  await setup.unsafe(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${password}'`);
  await setup.close();

  let databases = 0;
  const createDatabase = async () => {
    const name = `test_${++databases}`;
    const client = admin();
    try {
      await client.unsafe(`CREATE DATABASE ${name} OWNER ${ROLE}`);
    } finally {
      await client.close();
    }
    return `postgres://${ROLE}:${password}@127.0.0.1:${port}/${name}`;
  };

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      const server = proc!;
      server.kill("SIGINT"); // fast shutdown: clients are disconnected, nothing waits for them
      const timer = setTimeout(() => server.kill("SIGKILL"), STOP_TIMEOUT_MS);
      await server.exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    })());

  try {
    return { url: await createDatabase(), port, dir, createDatabase, admin, log, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
