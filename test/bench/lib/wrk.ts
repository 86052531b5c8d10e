// wrk (Debian package) as the HTTP load generator: a C program, so on a 2-core machine it
// takes far less CPU than a JavaScript generator would and the server under test, not the
// generator, is what saturates. Installed on first use when missing.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function ensureWrk(): string {
  const found = Bun.which("wrk");
  if (found) return found;
  console.log("wrk is not installed; installing it with apt-get (Debian package `wrk`)…");
  const opts = { stdout: "inherit", stderr: "inherit" } as const;
  let r = Bun.spawnSync(["apt-get", "install", "-y", "wrk"], opts);
  if (r.exitCode !== 0) {
    Bun.spawnSync(["apt-get", "update"], opts);
    r = Bun.spawnSync(["apt-get", "install", "-y", "wrk"], opts);
  }
  const installed = Bun.which("wrk");
  if (r.exitCode !== 0 || !installed) throw new Error("could not install wrk (apt-get install -y wrk)");
  return installed;
}

export interface WrkRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
}

export interface WrkResult {
  requests: number;
  durationS: number;
  rps: number;
  /** Answers whose status was not `expectStatus`, plus socket errors and timeouts. */
  errors: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

// wrk's `done` hook prints one JSON line we parse, instead of scraping its human output.
// Non-expected statuses are counted per thread in `response` and summed in `done`.
function luaScript(req: WrkRequest, expectStatus: number): string {
  const q = (s: string) => JSON.stringify(s); // a JSON string literal is a valid Lua string literal here (ASCII)
  const headers = Object.entries(req.headers).map(([k, v]) => `wrk.headers[${q(k)}] = ${q(v)}`).join("\n");
  return `
wrk.method = ${q(req.method)}
${headers}
${req.body !== undefined ? `wrk.body = ${q(req.body)}` : ""}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) unexpected = 0 end
function response(status, headers, body)
  if status ~= ${expectStatus} then unexpected = unexpected + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("unexpected") end
  local e = summary.errors
  bad = bad + e.connect + e.read + e.write + e.timeout
  io.write(string.format('WRK_JSON {"requests":%d,"duration_us":%d,"errors":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, bad,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`;
}

let scriptDir: string | undefined;

export async function runWrk(opts: {
  url: string;
  request: WrkRequest;
  expectStatus: number;
  connections: number;
  threads: number;
  durationS: number;
}): Promise<WrkResult> {
  const wrk = ensureWrk();
  if (!scriptDir) {
    const dir = (scriptDir = mkdtempSync(join(tmpdir(), "hookrelay-bench-wrk-")));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  const script = join(scriptDir, `req-${Date.now()}-${Math.random().toString(36).slice(2)}.lua`);
  writeFileSync(script, luaScript(opts.request, opts.expectStatus));
  const proc = Bun.spawn(
    [wrk, "-t", String(opts.threads), "-c", String(opts.connections), "-d", `${opts.durationS}s`, "--timeout", "5s", "-s", script, opts.url],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  rmSync(script, { force: true });
  const line = out.split("\n").find((l) => l.startsWith("WRK_JSON "));
  if (proc.exitCode !== 0 || !line) throw new Error(`wrk failed (exit ${proc.exitCode}): ${err || out}`);
  const j = JSON.parse(line.slice("WRK_JSON ".length));
  const durationS = j.duration_us / 1e6;
  return {
    requests: j.requests,
    durationS,
    rps: j.requests / durationS,
    errors: j.errors,
    latencyMs: { p50: j.p50 / 1000, p90: j.p90 / 1000, p99: j.p99 / 1000, max: j.max / 1000 },
  };
}
