// JSON kept exactly as sent. JSON.parse turns numbers into doubles: 1234567890123456789 becomes
// 1234567890123456800, 1e-400 becomes 0, 1.50 becomes 1.5. Payloads and metadata are the
// publisher's, so we hand on their own text instead: cut out of the already validated body
// (jsonMemberText), or read back with every number in its original spelling (parseJsonExact).

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
// Characters that matter when skipping a value: quotes and brackets. Everything between them is
// jumped over by the regular expression engine rather than a character loop.
const STRUCTURAL = /["[\]{}]/g;

function skipWhitespace(text: string, i: number): number {
  while (i < text.length && WHITESPACE.has(text.charCodeAt(i))) i++;
  return i;
}

/** `i` at an opening quote; returns the index after the closing one. */
function endOfString(text: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote === -1) throw new SyntaxError("unterminated string");
    let backslashes = 0;
    for (let k = quote - 1; text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** `i` at the first character of a value; returns the index after it. */
function endOfValue(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) return endOfString(text, i);
  if (first !== 0x7b && first !== 0x5b) {
    // A number, true, false or null: it runs to the next delimiter.
    let j = i;
    while (j < text.length) {
      const c = text.charCodeAt(j);
      if (c === 0x2c || c === 0x7d || c === 0x5d || WHITESPACE.has(c)) break;
      j++;
    }
    return j;
  }
  let depth = 0;
  STRUCTURAL.lastIndex = i;
  for (;;) {
    const match = STRUCTURAL.exec(text);
    if (!match) throw new SyntaxError("unbalanced brackets");
    const at = match.index;
    const c = text.charCodeAt(at);
    if (c === QUOTE) {
      STRUCTURAL.lastIndex = endOfString(text, at);
      continue;
    }
    depth += c === 0x7b || c === 0x5b ? 1 : -1;
    if (depth === 0) return at + 1;
  }
}

/**
 * The text of member `name` of the top-level object in `text`, which must be valid JSON (the body
 * parser has already parsed it). Like JSON.parse, the last of repeated keys wins. Undefined when
 * the top level is not an object or has no such member.
 */
export function jsonMemberText(text: string, name: string): string | undefined {
  let i = skipWhitespace(text, 0);
  if (text.charCodeAt(i) !== 0x7b) return undefined;
  i = skipWhitespace(text, i + 1);
  let found: string | undefined;
  while (text.charCodeAt(i) === QUOTE) {
    const keyEnd = endOfString(text, i);
    const rawKey = text.slice(i + 1, keyEnd - 1);
    // Keys with escapes ("d\u0061ta") are decoded; plain ones compare as they are.
    const key = rawKey.includes("\\") ? (JSON.parse(text.slice(i, keyEnd)) as string) : rawKey;
    const valueStart = skipWhitespace(text, skipWhitespace(text, keyEnd) + 1); // past the colon
    const valueEnd = endOfValue(text, valueStart);
    if (key === name) found = text.slice(valueStart, valueEnd);
    i = skipWhitespace(text, valueEnd);
    if (text.charCodeAt(i) !== 0x2c) break; // "}" ends the object
    i = skipWhitespace(text, i + 1);
  }
  return found;
}

// A number literal starts the text or follows a colon, a bracket or a comma: text with none of
// these before a digit or minus sign holds no number, and is parsed without the slower reviver.
const MAY_HOLD_NUMBER = /^\s*[-\d]|[:[,]\s*[-\d]/;

// TC39's JSON.parse source text access (in Bun): JSON.stringify writes a raw JSON value verbatim.
const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/**
 * JSON.parse, except that a number whose spelling a double would change is kept as raw JSON:
 * JSON.stringify writes it back digit for digit, so an API answer shows what was stored.
 */
export function parseJsonExact(text: string): unknown {
  if (!MAY_HOLD_NUMBER.test(text)) return JSON.parse(text);
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) => {
    if (typeof value !== "number" || context?.source === undefined) return value;
    return String(value) === context.source ? value : rawJson(context.source);
  });
}
