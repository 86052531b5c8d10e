// Files that ship with hookrelay (drizzle/ migrations, public/ console, the API reference
// bundle), found the same way from source and from the compiled binary. `bun run build`
// embeds them under their project-relative paths (scripts/build.ts, EMBEDDED_ASSETS), and a
// compiled binary reads them from its own bundle filesystem rooted at its import.meta.dir.
import { readFileSync, statSync } from "node:fs";
import { join, normalize, sep } from "node:path";

/** Where project-relative asset paths start: the repository in dev, `/$bunfs/root` in the binary. */
export const ASSET_ROOT = Bun.isStandaloneExecutable ? import.meta.dir : join(import.meta.dir, "..");

/** Scalar's self-contained browser bundle, served at /swagger so the API reference needs no CDN. */
export const SCALAR_BUNDLE = "node_modules/@scalar/api-reference/dist/browser/standalone.js";

/**
 * Absolute path of a shipped file or folder, or undefined when `relPath` is not a plain
 * project-relative path (absolute, `..`, NUL) or nothing is there. Safe for request paths.
 */
export function assetPath(relPath: string): string | undefined {
  if (relPath.includes("\0")) return undefined;
  const clean = normalize(relPath.replaceAll("\\", "/")).replace(/^(\.\/)+/, "");
  if (clean === "" || clean === "." || clean.startsWith("/") || clean === ".." || clean.startsWith(`..${sep}`)) {
    return undefined;
  }
  const full = join(ASSET_ROOT, clean);
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
