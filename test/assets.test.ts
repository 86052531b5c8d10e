// src/assets.ts resolves only paths plainly inside a shipped folder, so a request path can be
// handed to it; vendored files are found under their asset path in dev as in the binary.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ASSET_ROOT, SCALAR_BUNDLE, VENDORED_FILES, assetFile, assetPath, readAsset } from "../src/assets";
import { REPO_ROOT } from "./helpers/process";

describe("assets", () => {
  test("in dev the root is the repository", () => {
    expect(ASSET_ROOT).toBe(REPO_ROOT);
  });

  test("migrations and the vendored Scalar bundle are found", () => {
    expect(readAsset("drizzle/meta/_journal.json")?.toString()).toBe(readFileSync(join(REPO_ROOT, "drizzle/meta/_journal.json"), "utf8"));
    expect(assetPath(SCALAR_BUNDLE)).toBe(join(REPO_ROOT, VENDORED_FILES[SCALAR_BUNDLE]!));
    expect(assetFile(SCALAR_BUNDLE)!.size).toBeGreaterThan(1_000_000);
  });

  test("paths outside the shipped folders are refused", () => {
    for (const bad of [
      "package.json",
      "src/config.ts",
      "drizzle/../package.json",
      "public/../src/config.ts",
      "public/../../etc/passwd",
      "/etc/passwd",
      "drizzle\\..\\package.json",
      "drizzle/0000_init.sql\0",
      "node_modules/@scalar/api-reference/dist/browser/standalone.js",
      "",
    ]) {
      expect(assetPath(bad)).toBeUndefined();
    }
  });

  test("missing files and folders are undefined, folders are not files", () => {
    expect(assetPath("drizzle/nope.sql")).toBeUndefined();
    expect(assetPath("drizzle")).toBe(join(REPO_ROOT, "drizzle"));
    expect(assetFile("drizzle")).toBeUndefined();
    expect(readAsset("drizzle/meta")).toBeUndefined();
  });
});
