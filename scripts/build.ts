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
import { existsSync, rmSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { SCALAR_BUNDLE } from "../src/assets";

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

export async function buildBinary({ outfile, target }: BuildOptions): Promise<string> {
  const sqliteEntry = sqliteEntryFor(target);
  const nativeModule = join(ROOT, "node_modules/better-sqlite3/prebuilds", `${sqliteEntry}.node`);
  if (!existsSync(nativeModule)) throw new Error(`missing ${relative(ROOT, nativeModule)}: run bun install`);

  const assets = ["drizzle", SCALAR_BUNDLE];
  if (existsSync(join(ROOT, "public"))) assets.push("public");
  for (const asset of assets) {
    if (!existsSync(join(ROOT, asset))) throw new Error(`missing ${asset}: run bun install`);
  }

  // Assets are embedded relative to the working directory.
  const previousCwd = process.cwd();
  process.chdir(ROOT);
  try {
    const result = await Bun.build({
      entrypoints: ["./src/index.ts"],
      target: "bun",
      // Embedded in the executable so stack traces in logs name source lines.
      sourcemap: "linked",
      compile: {
        target: target as Bun.Build.CompileTarget,
        outfile,
        assets,
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
  }
  return outfile;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { outfile: { type: "string", default: "dist/hookrelay" }, target: { type: "string" } },
  });
  const outfile = resolve(values.outfile!);
  const target = values.target ?? hostTarget();
  try {
    await buildBinary({ outfile, target });
  } catch (e) {
    console.error(`build: ${(e as Error).message}`);
    process.exit(1);
  }
  const mib = (statSync(outfile).size / 1024 / 1024).toFixed(1);
  console.log(`built ${relative(process.cwd(), outfile) || outfile} (${target}, ${mib} MiB)`);
}
