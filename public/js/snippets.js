// Code samples for one HTTP request, shaped line for line like the samples clients were given
// (copied in test/console-snippets.test.ts), but indented and correct to paste and run.
// Pure functions with no DOM access, so the browser and `bun test` import the same module.
//
// A request is { method, url, headers: [[name, value], ...], body } where body is any JSON
// value, or undefined for a request without one. Every snippet sends the body as the same
// two-space-indented JSON text the console itself sends.

/** @typedef {{ method: string, url: string, headers: [string, string][], body?: unknown }} SnippetRequest */

export const LANGUAGES = [
  { id: "curl", label: "cURL" },
  { id: "python", label: "Python" },
  { id: "javascript", label: "JavaScript" },
  { id: "go", label: "Go" },
  { id: "ruby", label: "Ruby" },
];

/** The exact body text sent on the wire: two-space-indented JSON, or undefined. */
export function bodyText(body) {
  return body === undefined ? undefined : JSON.stringify(body, null, 2);
}

/** Indents every line but the first, for JSON nested inside an indented code block. */
function indentTail(text, pad) {
  return text.split("\n").join("\n" + pad);
}

// --- quoting, one function per target language -------------------------------------------

/** A POSIX shell double-quoted word: only \ " $ ` keep a special meaning inside. */
function shellDouble(value) {
  return '"' + value.replace(/[\\"$`]/g, "\\$&") + '"';
}

/** A POSIX shell single-quoted word; a ' closes, escapes and reopens the quote. */
function shellSingle(value) {
  return "'" + value.replace(/'/g, "'\\''") + "'";
}

/** JSON string escapes are valid in Python, JavaScript and Go double-quoted literals. */
function doubleQuoted(value) {
  return JSON.stringify(value);
}

/** Ruby single-quoted literal: only \\ and \' are escapes. */
function rubySingle(value) {
  return "'" + value.replace(/[\\']/g, "\\$&") + "'";
}

/** A Go raw string literal; a backtick cannot appear in one, so it is spliced in. */
function goRaw(value) {
  return "`" + value.split("`").join('` + "`" + `') + "`";
}

/** A JSON value as a Python literal (True/False/None), indented four spaces per level. */
export function pythonLiteral(value, level = 0) {
  const pad = "    ".repeat(level + 1);
  const end = "    ".repeat(level);
  if (value === null) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return Number.isFinite(value) ? JSON.stringify(value) : "None";
  if (typeof value === "string") return doubleQuoted(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return "[\n" + value.map((v) => pad + pythonLiteral(v, level + 1)).join(",\n") + "\n" + end + "]";
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return "{}";
  return "{\n" + entries.map(([k, v]) => pad + doubleQuoted(k) + ": " + pythonLiteral(v, level + 1)).join(",\n") + "\n" + end + "}";
}

// --- one generator per language ----------------------------------------------------------

/** @param {SnippetRequest} req */
export function curlSnippet(req) {
  const parts = [`curl -X ${req.method} ${shellDouble(req.url)}`];
  for (const [name, value] of req.headers) parts.push(`-H ${shellDouble(`${name}: ${value}`)}`);
  const text = bodyText(req.body);
  if (text !== undefined) parts.push(`-d ${shellSingle(text)}`);
  return parts.join(" \\\n  ");
}

/** @param {SnippetRequest} req */
export function pythonSnippet(req) {
  const headers = req.headers.length
    ? "{\n" + req.headers.map(([n, v]) => `    ${doubleQuoted(n)}: ${doubleQuoted(v)}`).join(",\n") + "\n}"
    : "{}";
  const lines = ["import requests", "import json", `url = ${doubleQuoted(req.url)}`, `headers = ${headers}`];
  const fn = req.method.toLowerCase();
  if (req.body !== undefined) {
    lines.push(`data = ${pythonLiteral(req.body)}`);
    lines.push(`response = requests.${fn}(url, headers=headers, json=data)`);
  } else {
    lines.push(`response = requests.${fn}(url, headers=headers)`);
  }
  lines.push("print(response.json())");
  return lines.join("\n");
}

/** @param {SnippetRequest} req */
export function javascriptSnippet(req) {
  const options = [`  method: ${doubleQuoted(req.method)}`];
  if (req.headers.length) {
    const entries = req.headers.map(([n, v]) => `    ${doubleQuoted(n)}: ${doubleQuoted(v)}`).join(",\n");
    options.push(`  headers: {\n${entries}\n  }`);
  }
  const text = bodyText(req.body);
  if (text !== undefined) options.push(`  body: JSON.stringify(${indentTail(text, "  ")})`);
  return [
    `const response = await fetch(${doubleQuoted(req.url)}, {`,
    options.join(",\n"),
    "});",
    "const data = await response.json();",
    "console.log(data);",
  ].join("\n");
}

/** @param {SnippetRequest} req */
export function goSnippet(req) {
  const text = bodyText(req.body);
  // gofmt order; "bytes" only when there is a body, since Go rejects unused imports.
  const imports = text !== undefined ? ["bytes", "fmt", "net/http"] : ["fmt", "net/http"];
  // The blank lines are gofmt's; the samples clients were given lost them with their indentation.
  const lines = ["package main", "", "import ("];
  for (const name of imports) lines.push(`\t${doubleQuoted(name)}`);
  lines.push(")", "", "func main() {");
  const reader = text !== undefined ? "bytes.NewBuffer(data)" : "nil";
  if (text !== undefined) lines.push(`\tdata := []byte(${goRaw(text)})`);
  lines.push(
    `\treq, err := http.NewRequest(${doubleQuoted(req.method)}, ${doubleQuoted(req.url)}, ${reader})`,
    "\tif err != nil {",
    "\t\tpanic(err)",
    "\t}",
  );
  for (const [n, v] of req.headers) lines.push(`\treq.Header.Set(${doubleQuoted(n)}, ${doubleQuoted(v)})`);
  lines.push(
    "\tclient := &http.Client{}",
    "\tresp, err := client.Do(req)",
    "\tif err != nil {",
    "\t\tpanic(err)",
    "\t}",
    "\tdefer resp.Body.Close()",
    '\tfmt.Println("Response Status:", resp.Status)',
    "}",
  );
  return lines.join("\n");
}

const RUBY_CLASSES = { GET: "Get", POST: "Post", PUT: "Put", PATCH: "Patch", DELETE: "Delete", HEAD: "Head", OPTIONS: "Options" };

/** @param {SnippetRequest} req */
export function rubySnippet(req) {
  const klass = RUBY_CLASSES[req.method.toUpperCase()];
  if (!klass) throw new Error(`no Net::HTTP class for method ${req.method}`);
  const lines = [
    "require 'net/http'",
    "require 'json'",
    `uri = URI(${rubySingle(req.url)})`,
    "http = Net::HTTP.new(uri.host, uri.port)",
    // The document hard-codes true; a plain-http self-hosted server needs false.
    `http.use_ssl = ${req.url.toLowerCase().startsWith("https:") ? "true" : "false"}`,
    `request = Net::HTTP::${klass}.new(uri)`,
  ];
  for (const [n, v] of req.headers) lines.push(`request[${rubySingle(n)}] = ${rubySingle(v)}`);
  const text = bodyText(req.body);
  if (text !== undefined) lines.push(`request.body = ${rubySingle(text)}`);
  lines.push("response = http.request(request)", "puts response.body");
  return lines.join("\n");
}

const GENERATORS = {
  curl: curlSnippet,
  python: pythonSnippet,
  javascript: javascriptSnippet,
  go: goSnippet,
  ruby: rubySnippet,
};

/** @param {string} language one of LANGUAGES' ids @param {SnippetRequest} req */
export function snippet(language, req) {
  const generate = GENERATORS[language];
  if (!generate) throw new Error(`unknown snippet language ${language}`);
  return generate(req);
}
