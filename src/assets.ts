// Files that ship with hookrelay (drizzle/ and drizzle-pg/ migrations, public/ console, the API reference
// bundle), found the same way from source and from the compiled binary. `bun run build`
// embeds them under these project-relative paths (scripts/build.ts), and a compiled binary
// reads them from its own bundle filesystem rooted at its import.meta.dir.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** Where project-relative asset paths start: the repository in dev, `/$bunfs/root` in the binary. */
export const ASSET_ROOT = Bun.isStandaloneExecutable ? import.meta.dir : join(import.meta.dir, "..");

/** Repository folders embedded in the binary as they are (public/ only once it exists). */
export const EMBEDDED_FOLDERS = ["drizzle", "drizzle-pg", "public"];

/** Scalar's self-contained browser bundle, served at /swagger so the API reference needs no CDN. */
export const SCALAR_BUNDLE = "vendor/scalar/standalone.js";

/** Files that come from node_modules: their asset path → where `bun install` puts them. */
export const VENDORED_FILES: Readonly<Record<string, string>> = {
  [SCALAR_BUNDLE]: "node_modules/@scalar/api-reference/dist/browser/standalone.js",
};

/**
 * Absolute path of a shipped file or folder, or undefined when nothing is there or `relPath`
 * is not plainly inside a shipped folder (no `..` segment, no absolute path, no NUL), so a
 * request path can be passed in as `public/${path}` without reaching anything else.
 */
export function assetPath(relPath: string): string | undefined {
  const segments = relPath.split(/[\\/]+/).filter((s) => s !== "" && s !== ".");
  if (relPath.startsWith("/") || relPath.includes("\0") || segments.includes("..")) return undefined;
  const clean = segments.join("/");
  if (!EMBEDDED_FOLDERS.includes(segments[0] ?? "") && !(clean in VENDORED_FILES)) return undefined;
  const source = Bun.isStandaloneExecutable ? clean : (VENDORED_FILES[clean] ?? clean);
  const full = join(ASSET_ROOT, source);
  try {
    statSync(full);
  } catch {
    return undefined;
  }
  return full;
}

/** A shipped file as a BunFile (Elysia serves it with its content type), or undefined. */
export function assetFile(relPath: string) {
  const full = assetPath(relPath);
  if (!full || !statSync(full).isFile()) return undefined;
  return Bun.file(full);
}

/** A shipped file's bytes, or undefined when there is no such file. */
export function readAsset(relPath: string): Buffer | undefined {
  const full = assetPath(relPath);
  return full && statSync(full).isFile() ? readFileSync(full) : undefined;
}
