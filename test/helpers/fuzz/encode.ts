// Turns a body (valid, mutated or random) into the bytes and content type actually sent:
// well-formed JSON, corrupted JSON text, invalid UTF-8, wrong media types, oversize bodies.
import type { Random } from "./random";
import { hugeString, mutateBody, nested, randomJson } from "./values";

export interface EncodedBody {
  kind: string;
  payload?: string | Uint8Array;
  contentType?: string;
}

const JSON_TYPES = ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/merge-patch+json", "application/json;charset=latin1"];
const WRONG_TYPES = [
  "text/plain",
  "text/html",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=----x",
  "application/xml",
  "application/octet-stream",
  "application/jsonx",
  "json",
  "*/*",
  "",
  ";",
  "application/json, text/plain",
  "image/png",
];

/** Byte sequences that are not UTF-8: stray continuation, overlong '/', CESU surrogate, truncated, >U+10FFFF. */
const INVALID_UTF8: readonly number[][] = [[0xff], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0xfe, 0xfe]];

const encoder = new TextEncoder();
/** JSON text of any value; `undefined` (a dropped field picked as the whole body) becomes `null`. */
const stringify = (value: unknown): string => JSON.stringify(value) ?? "null";
let oversize: string | undefined;

function oversizeBody(): string {
  // Built once: 1 MiB + a little of valid JSON.
  oversize ??= JSON.stringify({ url: "https://example.com/", events: ["link.created"], metadata: { pad: "x".repeat(1024 * 1024) } });
  return oversize;
}

function withInvalidUtf8(r: Random, text: string): Uint8Array {
  const bytes = encoder.encode(text);
  const at = r.int(0, bytes.length);
  const bad = r.pick(INVALID_UTF8);
  const out = new Uint8Array(bytes.length + bad.length);
  out.set(bytes.subarray(0, at), 0);
  out.set(bad, at);
  out.set(bytes.subarray(at), at + bad.length);
  return out;
}

/** Text-level damage to a JSON document. */
function corruptText(r: Random, json: string): string | Uint8Array {
  switch (r.int(0, 11)) {
    case 0:
      return json.slice(0, r.int(0, Math.max(0, json.length - 1)));
    case 1: {
      const i = r.int(0, Math.max(0, json.length - 1));
      return json.slice(0, i) + String.fromCharCode(r.int(0, 127)) + json.slice(i + 1);
    }
    case 2:
      return withInvalidUtf8(r, json);
    case 3:
      return "\ufeff" + json; // BOM
    case 4:
      return json + r.pick(["}", "]", ",", " garbage", "\0", "{}", "\n{\"again\":1}"]);
    case 5:
      return json.replace(/^\{/, '{"url":"https://dup.example/","url":' + JSON.stringify(json.slice(0, 10)) + ",");
    case 6:
      return json.replace(/:\s*("[^"]*"|\d+|true|false|null)/, ":" + r.pick(["NaN", "Infinity", "-Infinity", "1e999", "undefined", "0x10", "'single'", "01", ".5"]));
    case 7:
      return "/* comment */" + json;
    case 8:
      return json.replace(/^\{/, '{"' + r.pick(["__proto__", "constructor"]) + '":{"polluted":true,"isAdmin":true},');
    case 9:
      // Lone surrogate escapes: valid JSON, not valid Unicode.
      return json.replace(/"([^"\\]{1,5})/, '"\\ud800$1\\udfff');
    case 10:
      return r.pick(["", " ", "null", "[]", "{}", "\"str\"", "0", "true", "{", "[", "\"", "\\", "\u0000"]);
    default:
      return json.replace(/"/g, "'");
  }
}

/** Picks how the request body is built; `valid` is undefined for routes that take no body. */
export function encodeBody(r: Random, valid: Record<string, unknown> | undefined): EncodedBody {
  const base = valid ?? {};
  const kind = r.weighted<string>([
    [valid ? 12 : 4, "valid"],
    [valid ? 34 : 10, "mutated"],
    [10, "random-json"],
    [4, "deep"],
    [16, "corrupt-text"],
    [10, "wrong-content-type"],
    [valid ? 4 : 20, "none"],
    [4, "huge-field"],
    [0.4, "oversize"],
  ]);
  const json = (value: unknown): EncodedBody => ({ kind, payload: stringify(value), contentType: r.pick(JSON_TYPES) });
  switch (kind) {
    case "valid":
      return valid ? json(valid) : { kind };
    case "mutated":
      return json(mutateBody(r, base));
    case "random-json":
      return json(randomJson(r));
    case "deep": {
      const keys = Object.keys(base);
      return json({ ...base, [keys.length ? r.pick(keys) : "x"]: nested(r, r.pick([63, 64, 65, 1000, 20_000])) });
    }
    case "corrupt-text":
      return { kind, payload: corruptText(r, stringify(r.chance(0.7) ? base : mutateBody(r, base))), contentType: "application/json" };
    case "wrong-content-type":
      return { kind, payload: JSON.stringify(base), contentType: r.pick(WRONG_TYPES) };
    case "huge-field": {
      const keys = Object.keys(base);
      return json({ ...base, [keys.length ? r.pick(keys) : "x"]: hugeString(r) });
    }
    case "oversize":
      return { kind, payload: oversizeBody(), contentType: "application/json" };
    default:
      return { kind, payload: r.chance(0.5) ? undefined : "", contentType: r.chance(0.5) ? "application/json" : undefined };
  }
}
