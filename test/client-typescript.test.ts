// The TypeScript client in clients/typescript/ is generated from the live OpenAPI document
// (openapi-typescript) and type-checks on its own, with the README's example.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createTestApp, type TestApp } from "./helpers/app";

const ROOT = join(import.meta.dir, "..");
const CLIENT_TYPES_PATH = join(ROOT, "clients/typescript/schema.d.ts");

let t: TestApp;
let origin: string;

beforeAll(() => {
  t = createTestApp();
  const server = t.app.listen({ port: 0, hostname: "127.0.0.1" }).server!;
  origin = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await t.app.stop(true);
  t.close();
});

async function run(cmd: string[], timeoutMs: number): Promise<{ code: number; output: string }> {
  const proc = Bun.spawn(cmd, { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill(), timeoutMs);
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, output: out + err };
}

test("the committed client types are what openapi-typescript makes of the served document", async () => {
  const out = join(t.dir, "schema.d.ts");
  const generated = await run([process.execPath, "scripts/generate-client.ts", "--from", `${origin}/swagger/json`, "--out", out], 60_000);
  expect(generated.output).toContain("wrote");
  expect(generated.code).toBe(0);
  // On a difference, run `bun scripts/generate-client.ts` and commit clients/typescript/schema.d.ts.
  expect(readFileSync(out, "utf8")).toBe(readFileSync(CLIENT_TYPES_PATH, "utf8"));
}, 70_000);

test("the client and its example type-check on their own (strict, no Bun types)", async () => {
  const tsc = await run([join(ROOT, "node_modules/.bin/tsc"), "-p", "clients/typescript/tsconfig.json"], 60_000);
  expect(tsc.output).toBe("");
  expect(tsc.code).toBe(0);
}, 70_000);

test("the generated types carry real integers and the readable operation ids", () => {
  const types = readFileSync(CLIENT_TYPES_PATH, "utf8");
  expect(types).toMatch(/attempts: number;/);
  expect(types).toMatch(/limit\?: number;/);
  expect(types).not.toMatch(/string \| number/);
  for (const id of ["createWebhook", "retryDelivery", "publishEvent", "login", "createTrafficSourceWebhook"]) expect(types).toContain(`    ${id}: {`);
});
