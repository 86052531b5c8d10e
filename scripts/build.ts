#!/usr/bin/env bun
// `bun run build [--outfile dist/hookrelay] [--target bun-linux-x64]`: one self-contained
// executable. Migrations, the console (public/) and the API reference bundle are embedded
// under their project-relative paths, where src/assets.ts finds them at run time.
//
// better-sqlite3's default entry looks for its native module on disk next to node_modules,
// which a binary does not have; its per-platform entries (`better-sqlite3/linux-x64`) require
// the .node file statically, so the bundler embeds it (Bun unpacks it into $TMPDIR to load
// it). Every import of `better-sqlite3`, ours and drizzle's, is pointed at that entry here, so
// the source keeps the plain import that works under `bun src/index.ts`.
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { EMBEDDED_FOLDERS, VENDORED_FILES } from "../src/assets";

const ROOT = join(import.meta.dir, "..");

// Bun compile targets → better-sqlite3 entries (each names one prebuilt native module).
const SQLITE_ENTRY: Record<string, string> = {
  "linux-x64": "linux-x64",
  "linux-arm64": "linux-arm64",
  "linux-x64-musl": "linuxmusl-x64",
  "linux-arm64-musl": "linuxmusl-arm64",
  "darwin-x64": "darwin-x64",
  "darwin-arm64": "darwin-arm64",
  "windows-x64": "win32-x64",
  "windows-arm64": "win32-arm64",
};

function hostTarget(): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const musl = process.platform === "linux" && !(process.report.getReport() as any).header?.glibcVersionRuntime;
  return `bun-${os}-${process.arch}${musl ? "-musl" : ""}`;
}

function sqliteEntryFor(target: string): string {
  // bun-linux-x64, bun-linux-x64-baseline, bun-linux-x64-musl-modern, …: the CPU flavour does not matter here.
  const key = target.replace(/^bun-/, "").replace(/-(baseline|modern)/, "");
  const entry = SQLITE_ENTRY[key];
  if (!entry) throw new Error(`no better-sqlite3 build for target ${target} (known: ${Object.keys(SQLITE_ENTRY).join(", ")})`);
  return entry;
}

export interface BuildOptions {
  outfile: string;
  target: string;
}

export async function buildBinary(options: BuildOptions): Promise<string> {
  const { target } = options;
  const outfile = resolve(options.outfile);
  const sqliteEntry = sqliteEntryFor(target);
  const nativeModule = join(ROOT, "node_modules/better-sqlite3/prebuilds", `${sqliteEntry}.node`);
  if (!existsSync(nativeModule)) throw new Error(`missing ${relative(ROOT, nativeModule)}: run bun install`);

  // Assets are embedded under their paths relative to the working directory, and a single
  // file only under its base name; so they are staged in their run-time layout and built from there.
  const stage = mkdtempSync(join(tmpdir(), "hookrelay-assets-"));
  const previousCwd = process.cwd();
  try {
    const assets = new Set<string>();
    for (const folder of EMBEDDED_FOLDERS) {
      if (!existsSync(join(ROOT, folder))) continue;
      cpSync(join(ROOT, folder), join(stage, folder), { recursive: true });
      assets.add(folder);
    }
    if (!assets.has("drizzle")) throw new Error("missing drizzle/ (the migrations)");
    if (!assets.has("drizzle-pg")) throw new Error("missing drizzle-pg/ (the PostgreSQL migrations)");
    for (const [asset, source] of Object.entries(VENDORED_FILES)) {
      if (!existsSync(join(ROOT, source))) throw new Error(`missing ${source}: run bun install`);
      mkdirSync(dirname(join(stage, asset)), { recursive: true });
      copyFileSync(join(ROOT, source), join(stage, asset));
      assets.add(asset.split("/")[0]!);
    }

    process.chdir(stage);
    const result = await Bun.build({
      // Worker threads (src/db/checkpointer.ts, src/db/task-runner.ts) are entry points of their own.
      entrypoints: [join(ROOT, "src/index.ts"), join(ROOT, "src/db/checkpoint-worker.ts"), join(ROOT, "src/db/task-worker.ts")],
      target: "bun",
      // Embedded in the executable so stack traces in logs name source lines.
      sourcemap: "linked",
      compile: {
        target: target as Bun.Build.CompileTarget,
        outfile,
        assets: [...assets],
        // The binary is configured by its environment and flags, not by files it happens to find.
        autoloadBunfig: false,
      },
      plugins: [
        {
          name: "better-sqlite3 prebuilt entry",
          setup(build) {
            build.onResolve({ filter: /^better-sqlite3$/ }, (args) => ({
              path: Bun.resolveSync(`better-sqlite3/${sqliteEntry}`, args.resolveDir || ROOT),
            }));
          },
        },
      ],
    });
    if (!result.success) {
      throw new Error(`build failed:\n${result.logs.map((l) => String(l)).join("\n")}`);
    }
    // The same map is also written beside the executable; the binary does not need it.
    rmSync(`${outfile}.map`, { force: true });
  } finally {
    process.chdir(previousCwd);
    rmSync(stage, { recursive: true, force: true });
  }
  return outfile;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { outfile: { type: "string", default: "dist/hookrelay" }, target: { type: "string" } },
  });
  const target = values.target ?? hostTarget();
  let outfile: string;
  try {
    outfile = await buildBinary({ outfile: values.outfile!, target });
  } catch (e) {
    console.error(`build: ${(e as Error).message}`);
    process.exit(1);
  }
  const mib = (statSync(outfile).size / 1024 / 1024).toFixed(1);
  const shown = relative(process.cwd(), outfile);
  console.log(`built ${shown.startsWith("..") ? outfile : shown} (${target}, ${mib} MiB)`);
}
