// The delivery engine's HTTP/1.1 response parser: framing (length, chunked, close-delimited),
// interim responses, what it refuses, and that any split of the bytes gives the same answer.
import { describe, expect, test } from "bun:test";
import { MAX_HEAD_BYTES, ProtocolError, ResponseParser } from "../src/delivery/http1/response-parser";

const CAPTURE = 4096;

/** Feeds `text` in pieces of `step` bytes; returns the result once complete, or "incomplete". */
function parse(raw: string | Buffer, step = Infinity, endAfter = false) {
  const bytes = typeof raw === "string" ? Buffer.from(raw, "latin1") : raw;
  const parser = new ResponseParser(CAPTURE);
  for (let i = 0; i < bytes.length; i += step) {
    if (parser.push(bytes.subarray(i, Math.min(bytes.length, i + step)))) return { ...parser.result(), text: parser.result().body.toString("latin1") };
  }
  if (endAfter && parser.end()) return { ...parser.result(), text: parser.result().body.toString("latin1") };
  return "incomplete" as const;
}

const SPLITS = [Infinity, 1, 2, 3, 7];

describe("framing", () => {
  test.each(SPLITS)("Content-Length body, fed %p bytes at a time", (step) => {
    const r = parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", step);
    expect(r).toMatchObject({ status: 200, text: "hello", keepAlive: true, location: null, retryAfter: null });
  });

  test.each(SPLITS)("chunked body with extensions and trailers, fed %p bytes at a time", (step) => {
    const raw = "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5;name=x\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: 1\r\n\r\n";
    expect(parse(raw, step)).toMatchObject({ status: 201, text: "hello world", keepAlive: true });
  });

  test("a body without length ends at the close, and the connection is not reused", () => {
    expect(parse("HTTP/1.1 200 OK\r\n\r\nuntil close", Infinity)).toBe("incomplete");
    expect(parse("HTTP/1.1 200 OK\r\n\r\nuntil close", 4, true)).toMatchObject({ status: 200, text: "until close", keepAlive: false });
  });

  test("a transfer coding other than chunked is delimited by the close", () => {
    expect(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabc", Infinity, true)).toMatchObject({ text: "abc", keepAlive: false });
  });

  test("Transfer-Encoding wins over Content-Length, and the connection is not reused", () => {
    const raw = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n";
    expect(parse(raw)).toMatchObject({ text: "ok", keepAlive: false });
  });

  test("204 and 304 have no body; Content-Length: 0 is complete at once", () => {
    expect(parse("HTTP/1.1 204 No Content\r\n\r\n")).toMatchObject({ status: 204, text: "" });
    expect(parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n")).toMatchObject({ status: 304, text: "" });
    expect(parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")).toMatchObject({ status: 200, text: "", keepAlive: true });
  });

  test("interim 1xx responses are skipped", () => {
    const raw = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    for (const step of SPLITS) expect(parse(raw, step)).toMatchObject({ status: 200, text: "ok" });
  });

  test("bare LF line endings are accepted", () => {
    expect(parse("HTTP/1.1 503 Busy\nRetry-After: 7\nContent-Length: 1\n\nx")).toMatchObject({ status: 503, retryAfter: "7", text: "x" });
  });

  test("Connection: close and HTTP/1.0 end the connection after the response", () => {
    expect(parse("HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n")).toMatchObject({ keepAlive: false });
    expect(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")).toMatchObject({ keepAlive: false });
    expect(parse("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")).toMatchObject({ keepAlive: true });
  });

  test("bytes after the response leave the connection out of step: not reused", () => {
    expect(parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA")).toMatchObject({ text: "ok", keepAlive: false });
    // Also when the head alone completes the response.
    expect(parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nXYZ")).toMatchObject({ keepAlive: false });
    expect(parse("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\n\r\n")).toMatchObject({ status: 204, keepAlive: false });
  });

  test("a 204 or 304 that declares a body anyway is not trusted with another request", () => {
    expect(parse("HTTP/1.1 204 No Content\r\nContent-Length: 2\r\n\r\n")).toMatchObject({ status: 204, keepAlive: false });
    expect(parse("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n")).toMatchObject({ status: 304, keepAlive: false });
    expect(parse("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")).toMatchObject({ status: 204, keepAlive: true });
  });

  test("a head whose last line ends in LF and the blank line in CRLF is complete", () => {
    expect(parse("HTTP/1.1 200 OK\nContent-Length: 1\n\r\nz")).toMatchObject({ status: 200, text: "z" });
  });

  test("a head dripped a byte at a time costs linear work", () => {
    // 60 KiB of headers one byte per push: a quadratic re-scan would take seconds.
    const raw = `HTTP/1.1 200 OK\r\n${"X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(1300)}Content-Length: 2\r\n\r\nok`;
    expect(parse(raw, 1)).toMatchObject({ status: 200, text: "ok" });
  });

  test("location and retry-after are read whatever their case; equal repeated lengths are accepted", () => {
    const r = parse("HTTP/1.1 307 Temporary Redirect\r\nLOCATION:  http://x/y \r\nContent-Length: 1, 1\r\ncontent-length: 1\r\n\r\nz");
    expect(r).toMatchObject({ status: 307, location: "http://x/y", text: "z" });
  });
});

describe("body capture", () => {
  test("a body is read whole while it fits the capture, and the connection is kept", () => {
    const body = "a".repeat(CAPTURE);
    const r = parse(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 1000);
    expect(r).toMatchObject({ keepAlive: true, text: body });
  });

  test("a longer body ends once captured: a receiver that then stalls has still answered", () => {
    const parser = new ResponseParser(CAPTURE);
    expect(parser.push(Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: 50000\r\n\r\n`))).toBe(false);
    expect(parser.push(Buffer.alloc(CAPTURE - 1, 0x62))).toBe(false);
    expect(parser.push(Buffer.alloc(1000, 0x62))).toBe(true); // the rest never comes
    expect(parser.result()).toMatchObject({ status: 200, keepAlive: false });
    expect(parser.result().body.length).toBe(CAPTURE);
  });

  test("a chunked body that goes on past the capture ends there, and the connection closes", () => {
    const parser = new ResponseParser(CAPTURE);
    parser.push(Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
    let done = false;
    for (let i = 0; i < 10 && !done; i++) done = parser.push(Buffer.from(`400\r\n${"c".repeat(1024)}\r\n`));
    expect(done).toBe(true);
    expect(parser.result()).toMatchObject({ keepAlive: false });
    expect(parser.result().body.toString()).toBe("c".repeat(CAPTURE));
  });

  test("captured bytes are copies: reusing the received buffer does not change them", () => {
    const bytes = Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
    const parser = new ResponseParser(CAPTURE);
    parser.push(bytes);
    bytes.fill(0x7a);
    expect(parser.result().body.toString()).toBe("abc");
  });
});

describe("refused", () => {
  const refused = (raw: string) => () => parse(raw, 3);
  test.each([
    ["a status line that is not HTTP/1.x", "HTTP/2 200\r\n\r\n"],
    ["a status code that is not three digits", "HTTP/1.1 20 OK\r\n\r\n"],
    ["101 Switching Protocols", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n"],
    ["whitespace before a header colon", "HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\nx"],
    ["a header line without a colon", "HTTP/1.1 200 OK\r\nnonsense\r\n\r\n"],
    ["an obsolete folded header line", "HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\n\r\n"],
    ["a bare CR inside a header", "HTTP/1.1 200 OK\r\nX-A: 1\rContent-Length: 5\r\n\r\n"],
    ["a NUL inside a header", "HTTP/1.1 200 OK\r\nX-A: 1\u0000\r\n\r\n"],
    ["a Content-Length that is not a number", "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\nx"],
    ["conflicting Content-Length values", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx"],
    ["a chunk size that is not hex", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"],
    ["a chunk not followed by a line break", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n"],
  ])("%s", (_name, raw) => {
    expect(refused(raw)).toThrow(ProtocolError);
  });

  test("a head longer than the limit, whether it ends or not", () => {
    const huge = `HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(MAX_HEAD_BYTES)}\r\n`;
    expect(refused(huge)).toThrow(/exceed/);
    expect(refused(`${huge}\r\n`)).toThrow(/exceed/);
  });

  test("endless interim responses", () => {
    expect(refused("HTTP/1.1 100 Continue\r\n\r\n".repeat(20))).toThrow(/interim/);
  });

  test("a close in the middle of a sized or chunked body does not complete it", () => {
    expect(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", Infinity, true)).toBe("incomplete");
    expect(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", Infinity, true)).toBe("incomplete");
  });
});
