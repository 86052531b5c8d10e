// Hostile JSON values and mutations of valid bodies. Everything here is data: the runner
// decides how it is encoded and sent.
import type { Random } from "./random";

/** Strings that break naive SQL, HTML, path, log or unicode handling. */
export const NASTY_STRINGS: readonly string[] = [
  "",
  " ",
  "'",
  "''",
  '"',
  "' OR '1'='1",
  "'; DROP TABLE webhooks; --",
  "\" OR 1=1 --",
  "1; SELECT * FROM api_keys",
  "%",
  "_",
  "\\",
  "\\\\'",
  "\0",
  "a\u0000b",
  "\r\n\r\nX-Injected: 1",
  "<script>alert(1)</script>",
  "${7*7}",
  "{{7*7}}",
  "../../../../etc/passwd",
  "%2e%2e%2f",
  "𝕳𝖔𝖔𝖐🚀",
  "👨‍👩‍👧‍👦",
  "ÅÄÖ åäö",
  "\u202etxt.exe",
  "\ufeffBOM",
  "\u200b",
  "null",
  "true",
  "0",
  "-1",
  "NaN",
  "1e309",
  "__proto__",
  "constructor",
  "whsec_",
  "https://",
  "http://127.0.0.1/",
  "https://[::1]/",
  "javascript:alert(1)",
  "file:///etc/passwd",
];

export const PROTO_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty"];

/** Sets an own enumerable property even for `__proto__`, so JSON.stringify sends it as a key. */
export function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export function randomString(r: Random, max = 40): string {
  const kind = r.int(0, 5);
  const length = r.int(0, max);
  let out = "";
  for (let i = 0; i < length; i++) {
    switch (kind) {
      case 0:
        out += String.fromCharCode(r.int(0x20, 0x7e));
        break;
      case 1:
        out += String.fromCharCode(r.int(0, 0x1f)); // control characters
        break;
      case 2:
        out += String.fromCodePoint(r.int(0xa0, 0x2fff));
        break;
      case 3:
        out += String.fromCodePoint(r.int(0x1f300, 0x1faff)); // astral: surrogate pairs in UTF-16
        break;
      default:
        out += r.pick([..."abcdefghijklmnopqrstuvwxyz0123456789-_.:/?#[]@!$&'()*+,;=%"]);
    }
  }
  return out;
}

export function hugeString(r: Random): string {
  const size = r.pick([129, 2049, 4097, 16 * 1024 + 1, 100_000]);
  return r.pick(["a", "é", "🚀", "'"]).repeat(Math.ceil(size / 2));
}

/** Nested arrays/objects `depth` levels deep around a leaf. */
export function nested(r: Random, depth: number): unknown {
  let value: unknown = r.pick([1, "x", null, true]);
  const asObject = r.chance(0.5);
  for (let i = 0; i < depth; i++) value = asObject ? { a: value } : [value];
  return value;
}

export function randomNumber(r: Random): number {
  return r.pick([0, -0, 1, -1, 0.5, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 1e308, Number.MIN_VALUE, r.int(-1e6, 1e6)]);
}

/** Any JSON value, with small nesting. */
export function randomJson(r: Random, depth = 0): unknown {
  const kind = depth > 3 ? r.int(0, 4) : r.int(0, 7);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return randomNumber(r);
    case 3:
      return r.pick(NASTY_STRINGS);
    case 4:
      return randomString(r);
    case 5:
      return Array.from({ length: r.int(0, 5) }, () => randomJson(r, depth + 1));
    case 6: {
      const obj: Record<string, unknown> = {};
      for (let i = r.int(0, 5); i > 0; i--) setKey(obj, r.chance(0.2) ? r.pick(PROTO_KEYS) : randomString(r, 12), randomJson(r, depth + 1));
      return obj;
    }
    default:
      return nested(r, r.pick([10, 63, 64, 65, 200, 2000]));
  }
}

/** A value of a different JSON type than `like`, or a hostile value of the same type. Built lazily: some are big. */
export function wrongValue(r: Random, like: unknown): unknown {
  const candidates: (() => unknown)[] = [
    () => r.pick([null, true, 0, -1, 1.5, "", [], {}]),
    () => [like],
    () => ({ value: like }),
    () => r.pick(NASTY_STRINGS),
    () => hugeString(r),
    () => nested(r, r.pick([5, 64, 1000])),
  ];
  if (typeof like === "string") {
    candidates.push(() => like + r.pick(NASTY_STRINGS), () => like.toUpperCase(), () => ` ${like} `, () => like.slice(0, r.int(0, like.length)));
  }
  if (Array.isArray(like)) {
    candidates.push(() => [...like, ...like], () => like.map(() => randomJson(r)), () => Array.from({ length: r.pick([101, 10_000]) }, () => like[0]));
  }
  return r.pick(candidates)();
}

/** Applies 1–3 random changes to a copy of a valid body object. */
export function mutateBody(r: Random, valid: Record<string, unknown>): unknown {
  const body: Record<string, unknown> = structuredClone(valid);
  for (let n = r.int(1, 3); n > 0; n--) {
    const keys = Object.keys(body);
    const key = keys.length ? r.pick(keys) : "x";
    switch (r.int(0, 6)) {
      case 0:
        delete body[key];
        break;
      case 1:
        body[key] = wrongValue(r, body[key]);
        break;
      case 2:
        setKey(body, r.chance(0.3) ? r.pick(PROTO_KEYS) : randomString(r, 10), randomJson(r));
        break;
      case 3:
        body[key] = r.pick(NASTY_STRINGS);
        break;
      case 4:
        body[key] = randomJson(r);
        break;
      case 5:
        if (typeof body[key] === "string") body[key] = (body[key] as string) + randomString(r, 8);
        else body[key] = null;
        break;
      default:
        return r.pick([[body], body[key], null, 0, "", JSON.stringify(body)]);
    }
  }
  return body;
}
