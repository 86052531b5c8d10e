// The fuzz loop: builds each request from the seed, sends it through app.handle(), and checks
// the invariants: no 5xx, errors in the envelope, bad credentials refused, and a request that
// was refused left every table exactly as it was.
import type { TestApp } from "../app";
import { encodeBody, type EncodedBody } from "./encode";
import { Random } from "./random";
import { Snapshotter } from "./snapshot";
import { fillPath, type FuzzContext, type FuzzRoute, type FuzzSurface } from "./surface";

export interface FuzzViolation {
  index: number;
  rule: string;
  request: string;
  status: number;
  response: string;
}

export interface FuzzReport {
  seed: number;
  requests: number;
  byStatus: Record<number, number>;
  byKind: Record<string, number>;
  /** "POST /traffic-sources" → status → count. */
  byRoute: Record<string, Record<number, number>>;
  rejectedUnchanged: number;
  accepted: number;
  violations: FuzzViolation[];
}

const ODD_METHODS = ["PUT", "HEAD", "OPTIONS", "PROPFIND", "FOO", "GET", "DELETE", "PATCH", "POST"];
const PATH_ABUSE: ((p: string) => string)[] = [
  (p) => p + "/",
  (p) => p + "//",
  (p) => p + "/extra",
  (p) => "/" + p,
  (p) => p.toUpperCase(),
  (p) => p.replace("/v1/", "//v1/"),
  (p) => p + ".json",
  (p) => p + "?limit=999999&cursor=%00&active=maybe&event=" + "x".repeat(3000),
  (p) => p + "?%ZZ=%ZZ",
  (p) => p + ";jsessionid=1",
  (p) => p.replace(/\/[^/]*$/, "/%2e%2e"),
];

interface Planned {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: EncodedBody;
  route: string;
  goodAuth: boolean;
  oddRoute: boolean;
  badStatuses: readonly number[];
}

function abuseHeaders(r: Random, headers: Record<string, string>): string {
  switch (r.int(0, 7)) {
    case 0:
      headers["content-length"] = r.pick(["99999999999", "-1", "abc", "0", "1"]);
      return "content-length";
    case 1:
      headers["x-request-id"] = r.pick(["", "x".repeat(10_000), "../../etc", "é\u0001\u007f", "'; drop table x"]);
      return "x-request-id";
    case 2:
      for (let i = 0; i < 200; i++) headers[`x-fuzz-${i}`] = "v".repeat(r.int(0, 50));
      return "many-headers";
    case 3:
      headers["x-big"] = "b".repeat(64 * 1024);
      return "huge-header";
    case 4:
      headers["transfer-encoding"] = r.pick(["chunked", "gzip", "identity, chunked"]);
      return "transfer-encoding";
    case 5:
      headers["content-encoding"] = r.pick(["gzip", "br", "deflate"]);
      return "content-encoding";
    case 6:
      headers.accept = r.pick(["text/html", "application/xml", "*/*;q=0", ""]);
      return "accept";
    default:
      headers.expect = "100-continue";
      return "expect";
  }
}

function plan(r: Random, surface: FuzzSurface, ctx: FuzzContext): Planned & { label: string } {
  const route: FuzzRoute = r.weighted(surface.routes.map((route) => [route.weight ?? 1, route] as const));
  const auth = route.auth ?? surface.auth;
  let method = route.method;
  let path = fillPath(route, ctx);
  const labels: string[] = [];
  const oddRoute = r.chance(0.05);
  if (oddRoute) {
    method = r.pick(ODD_METHODS);
    path = r.pick(PATH_ABUSE)(path);
    labels.push("odd-route");
  }
  const goodAuth = !auth.bad || !r.chance(0.08);
  const headers = { ...route.headers?.(ctx), ...(goodAuth ? auth.valid(ctx) : auth.bad!(ctx)) };
  if (!goodAuth) labels.push("bad-auth");
  const body = encodeBody(r, route.body?.(ctx));
  labels.push(body.kind);
  if (body.contentType !== undefined) headers["content-type"] = body.contentType;
  if (r.chance(0.06)) labels.push("header:" + abuseHeaders(r, headers));
  // GET and HEAD cannot carry a body in a Request.
  if (method === "GET" || method === "HEAD") body.payload = undefined;
  return { method, path, headers, body, route: `${route.method} ${route.path}`, goodAuth, oddRoute, badStatuses: auth.badStatuses, label: labels.join("+") };
}

function describe(p: Planned): string {
  const payload = p.body.payload;
  const preview = payload === undefined ? "(no body)" : typeof payload === "string" ? payload.slice(0, 300) : `bytes(${payload.length}) ${Buffer.from(payload.subarray(0, 150)).toString("latin1")}`;
  const headers = Object.fromEntries(Object.entries(p.headers).map(([k, v]) => [k, v.slice(0, 80)]));
  return `${p.method} ${p.path.slice(0, 200)} headers=${JSON.stringify(headers).slice(0, 400)} body=${preview}`;
}

function isEnvelope(text: string, status: number): boolean {
  try {
    const body = JSON.parse(text);
    return typeof body.error === "string" && typeof body.message === "string" && body.code === status;
  } catch {
    return false;
  }
}

export interface FuzzOptions {
  /**
   * Compare a full dump before and after each rejected request (default true). Off only when
   * something else writes concurrently (a running delivery loop), which would make it meaningless.
   */
  compareDumps?: boolean;
  /** Yield to the event loop's timers every this many requests, so a delivery loop in the same process gets turns. */
  yieldEvery?: number;
}

export async function runFuzz(t: TestApp, surface: FuzzSurface, seed: number, count: number, options: FuzzOptions = {}): Promise<FuzzReport> {
  const compareDumps = options.compareDumps ?? true;
  const r = new Random(seed);
  const sqlite = t.deps.db.$client;
  const ctx: FuzzContext = { r, sqlite };
  const snapshots = new Snapshotter(sqlite);
  snapshots.markFixtures();
  const report: FuzzReport = { seed, requests: 0, byStatus: {}, byKind: {}, byRoute: {}, rejectedUnchanged: 0, accepted: 0, violations: [] };
  const violate = (index: number, rule: string, p: Planned, status: number, response: string) => {
    // A few examples of each rule, so one noisy rule cannot hide another.
    if (report.violations.filter((v) => v.rule === rule).length < 5) {
      report.violations.push({ index, rule, request: describe(p), status, response: response.slice(0, 300) });
    }
  };

  let before = snapshots.dump();
  for (let i = 0; i < count; i++) {
    if (surface.refresh?.(ctx) && compareDumps) before = snapshots.dump();
    const p = plan(r, surface, ctx);
    let request: Request;
    try {
      request = new Request(`http://localhost${p.path}`, { method: p.method, headers: p.headers, body: p.body.payload as BodyInit | undefined });
    } catch {
      continue; // the client cannot even build it (e.g. a forbidden header value): not a server input
    }
    // A garbage id such as ".." makes the URL parser resolve the path to another route, which
    // may even be a public one (e.g. "/webhooks/.." is "/", the console).
    const resolved = new URL(request.url).pathname;
    if (resolved !== p.path.split("?")[0]) p.oddRoute = true;
    const leftTheSurface = !resolved.startsWith("/" + p.route.split(" ")[1]!.split("/")[1]);
    const res = await t.app.handle(request);
    const text = await res.text();
    report.requests++;
    report.byStatus[res.status] = (report.byStatus[res.status] ?? 0) + 1;
    report.byKind[p.label] = (report.byKind[p.label] ?? 0) + 1;
    const perRoute = (report.byRoute[p.route] ??= {});
    perRoute[res.status] = (perRoute[res.status] ?? 0) + 1;

    if (res.status >= 500) violate(i, "5xx", p, res.status, text);
    // Bad credentials: exactly the documented status on real routes; never a success anywhere
    // (an abused path may be a 404 that no route, and so no auth, ever saw).
    if (!p.goodAuth && !leftTheSurface && res.status < 400) violate(i, "bad credentials accepted", p, res.status, text);
    if (!p.goodAuth && !p.oddRoute && !p.badStatuses.includes(res.status)) {
      violate(i, "bad credentials not refused with the documented status", p, res.status, text);
    }
    if (res.status >= 400 && p.method !== "HEAD" && !isEnvelope(text, res.status)) violate(i, "error outside the envelope", p, res.status, text);

    const after = compareDumps ? snapshots.dump() : "";
    if (res.status >= 400 && compareDumps) {
      if (after !== before) violate(i, "rejected request changed stored data", p, res.status, text);
      else report.rejectedUnchanged++;
    } else if (res.status < 300) {
      report.accepted++;
    }
    before = after;
    if (options.yieldEvery && i % options.yieldEvery === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    // Pruning only serves the dump comparison (it keeps dumps small).
    if (compareDumps && res.status < 300 && snapshots.growth() > 40) {
      snapshots.prune();
      before = snapshots.dump();
    }
  }
  return report;
}

/** One line per status and per request kind, for the test log. */
export function formatReport(name: string, report: FuzzReport): string {
  const statuses = Object.entries(report.byStatus).map(([s, n]) => `${s}:${n}`).join(" ");
  const kinds = Object.entries(report.byKind).sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, n]) => `${k}:${n}`).join(" ");
  return (
    `[fuzz ${name}] seed=${report.seed} requests=${report.requests} accepted=${report.accepted} ` +
    `rejected-and-unchanged=${report.rejectedUnchanged} violations=${report.violations.length}\n` +
    `  by status: ${statuses}\n  top kinds: ${kinds}\n` +
    Object.entries(report.byRoute)
      .map(([route, counts]) => `  ${route}: ${Object.entries(counts).map(([s, n]) => `${s}:${n}`).join(" ")}`)
      .join("\n")
  );
}
