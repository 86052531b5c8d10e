// `serve` installs its SIGTERM/SIGINT handlers before it starts, so a stop requested the moment it
// says it listens is a graceful one (exit 0, "stopped"), not the default kill (exit 143).
import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { rmSync } from "node:fs";
import { tempDir } from "./helpers/app";
import { startServerProcess, type ServerProcess } from "./helpers/process";

let dir = "";
let server: ServerProcess | undefined;
afterEach(async () => {
  await server?.kill();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`${signal} right after the "listening" line stops gracefully`, async () => {
    dir = tempDir();
    for (let i = 0; i < 3; i++) {
      server = await startServerProcess({ DATABASE_PATH: join(dir, "hookrelay.db"), ADMIN_API_KEY: "signals-admin-key-0123456789" });
      expect(await server.stop(signal)).toBe(0);
      expect(server.output()).toContain("stopped");
    }
  }, 60_000);
}
