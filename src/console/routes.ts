// Serves the console (README, Console): the static files of public/ at `/`. Files come from one
// small function, `shippedPublicFile`, so the source of the bytes can be swapped in one place.
import { extname } from "node:path";
import { Elysia, NotFoundError } from "elysia";
import { assetFile } from "../assets";
import type { AppDeps } from "../deps";

/** Finds a file by its path relative to the console's root ("index.html", "js/app.js"). */
export type PublicFileSource = (relativePath: string) => Promise<Blob | undefined>;

/**
 * public/ as shipped: the repository's folder (found from the source files, whatever the
 * working directory) or the copy embedded in the compiled binary. assetFile refuses any path
 * that leaves the folder and anything that is not a regular file.
 */
export const shippedPublicFile: PublicFileSource = async (relativePath) => assetFile(`public/${relativePath}`);

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

// The page may talk to this origin only: the browser itself enforces "no other host".
const HTML_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

/**
 * The URL path as a relative file path, or undefined when it could escape the root or names
 * a hidden file. Segments are decoded one by one, so `%2e%2e` and `%2f` cannot smuggle in
 * `..` or a separator.
 */
export function relativeFilePath(pathname: string): string | undefined {
  const segments = pathname.split("/").slice(1);
  if (segments.at(-1) === "") segments[segments.length - 1] = "index.html";
  const decoded: string[] = [];
  for (const raw of segments) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment === "" || segment.startsWith(".") || /[/\\\0]/.test(segment)) return undefined;
    decoded.push(segment);
  }
  return decoded.join("/");
}

export function consoleRoutes(_deps: AppDeps, source: PublicFileSource = shippedPublicFile) {
  async function serve(request: Request): Promise<Response> {
    const relativePath = relativeFilePath(new URL(request.url).pathname);
    const file = relativePath === undefined ? undefined : await source(relativePath);
    if (!file || relativePath === undefined) throw new NotFoundError();
    const bytes = new Uint8Array(await file.arrayBuffer());
    const type = extname(relativePath).toLowerCase();
    const etag = `"${Bun.hash(bytes).toString(36)}"`;
    const headers: Record<string, string> = {
      "content-type": CONTENT_TYPES[type] ?? "application/octet-stream",
      // Names carry no content hash, so browsers revalidate every time; the ETag keeps it cheap.
      "cache-control": "no-cache",
      etag,
      "x-content-type-options": "nosniff",
      ...(type === ".html" ? HTML_HEADERS : {}),
    };
    if (request.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
    return new Response(bytes, { status: 200, headers });
  }

  return new Elysia({ name: "console/static", detail: { hide: true } })
    .get("/", ({ request }) => serve(request))
    .get("/*", ({ request }) => serve(request));
}
