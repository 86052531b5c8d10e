// Incremental parser for one HTTP/1.1 response on a keep-alive connection (RFC 9112). It reads
// only what the delivery engine needs: the status, the framing headers, `location`,
// `retry-after`, and the first bytes of the body for the attempt log. Anything it cannot frame
// with certainty is a protocol error, and the connection is closed rather than reused: a
// wrongly framed response would corrupt the next delivery on the same socket.

export class ProtocolError extends Error {}

export interface ParsedResponse {
  status: number;
  location: string | null;
  retryAfter: string | null;
  /** The first `captureLimit` bytes of the body (a copy). */
  body: Buffer;
  /** False when the connection must not carry another request. */
  keepAlive: boolean;
}

/** Status line and headers, including every interim (1xx) response, at most this many bytes. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** A chunk-size line or a trailer section longer than this is refused. */
const MAX_LINE_BYTES = 8 * 1024;
const MAX_INTERIM_RESPONSES = 8;
const LF = 0x0a;
const CR = 0x0d;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: .*)?$/;
const DIGITS = /^\d{1,15}$/;
const BAD_HEAD_BYTES = /\0|\r(?!\n)/;
const CLOSE_TOKEN = /(?:^|,)\s*close\s*(?:,|$)/i;
const CHUNKED_LAST = /(?:^|,)\s*chunked\s*$/i;
/** content-length, transfer-encoding, connection, location, retry-after. */
const WANTED_NAME_LENGTHS = new Set([14, 17, 10, 8, 11]);
const EMPTY = Buffer.alloc(0);
const LF_CR_LF = Buffer.from("\n\r\n");
const LF_LF = Buffer.from("\n\n");

type Phase = "head" | "sized" | "chunk-size" | "chunk-data" | "chunk-end" | "trailers" | "until-close" | "done";

export class ResponseParser {
  private phase: Phase = "head";
  /** Pieces of a head not yet complete, and the last bytes seen (a terminator may straddle two pieces). */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private carry: Buffer = EMPTY;
  private headBytes = 0;
  private interim = 0;
  private status = 0;
  private location: string | null = null;
  private retryAfter: string | null = null;
  private keepAlive = true;
  /** Body bytes still expected in the current sized body or chunk. */
  private remaining = 0;
  private readonly captured: Buffer[] = [];
  private capturedBytes = 0;
  private line = "";

  /** @param captureLimit body bytes kept for the log; a longer body ends the response there. */
  constructor(private readonly captureLimit: number) {}

  /** Feeds received bytes; true once the response is complete (or enough of it was read). */
  push(bytes: Buffer): boolean {
    let data = bytes;
    while (this.phase === "head") {
      const end = this.findHeadEnd(data);
      if (end < 0) return false;
      const head = this.parts.length > 0 ? concat(...this.parts, data.subarray(0, end)) : data.subarray(0, end);
      this.parts = [];
      this.partsBytes = 0;
      this.carry = EMPTY;
      this.headBytes += head.length;
      if (this.headBytes > MAX_HEAD_BYTES) throw new ProtocolError(`Response headers exceed ${MAX_HEAD_BYTES} bytes`);
      const final = this.readHead(head.toString("latin1"));
      data = data.subarray(end);
      if (!final && ++this.interim > MAX_INTERIM_RESPONSES) throw new ProtocolError("Too many interim (1xx) responses");
    }
    if (this.phase !== "done" && data.length > 0) data = this.body(data);
    // Bytes after the end of the response were never asked for: the connection is out of step.
    if (data.length > 0) this.keepAlive = false;
    return this.phase === "done";
  }

  /**
   * Where the head ends in `data` (just past its blank line), or -1 after keeping `data` for
   * later. A head that arrives in pieces is searched only where a piece joins the last three
   * bytes before it, and joined once at the end: a receiver dripping its headers a byte at a
   * time costs linear, not quadratic, work.
   */
  private findHeadEnd(data: Buffer): number {
    const probe = this.carry.length > 0 ? concat(this.carry, data) : data;
    const inProbe = headEnd(probe);
    if (inProbe >= 0) return inProbe - this.carry.length;
    this.partsBytes += data.length;
    if (this.headBytes + this.partsBytes > MAX_HEAD_BYTES) throw new ProtocolError(`Response headers exceed ${MAX_HEAD_BYTES} bytes`);
    // Copies: the socket may reuse the buffer it handed us.
    this.parts.push(Buffer.from(data));
    this.carry = Buffer.from(probe.subarray(Math.max(0, probe.length - 3)));
    return -1;
  }

  /** The peer closed the connection: true when that completes the response (a close-delimited body). */
  end(): boolean {
    if (this.phase === "until-close") {
      this.phase = "done";
      this.keepAlive = false;
    }
    return this.phase === "done";
  }

  /** Whether any byte of a response arrived (a reused connection that closes before that was stale). */
  get started(): boolean {
    return this.headBytes > 0 || this.partsBytes > 0;
  }

  result(): ParsedResponse {
    const body = this.captured.length === 1 ? this.captured[0]! : this.captured.length === 0 ? EMPTY : concat(...this.captured);
    return { status: this.status, location: this.location, retryAfter: this.retryAfter, body, keepAlive: this.keepAlive };
  }

  /** Parses a status line and header block; false for an interim response that another follows. */
  private readHead(head: string): boolean {
    // NUL and a CR that does not end a line are refused (RFC 9112 §2.2): such bytes are where
    // two parsers start to disagree about where a message ends.
    if (BAD_HEAD_BYTES.test(head)) throw new ProtocolError("NUL or bare CR in the response head");
    let lineEnd = head.indexOf("\n");
    const statusLine = head.slice(0, head.charCodeAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd);
    const match = STATUS_LINE.exec(statusLine);
    if (!match) throw new ProtocolError(`Malformed status line: ${JSON.stringify(statusLine.slice(0, 64))}`);
    const status = Number(match[2]);
    if (status === 101) throw new ProtocolError("Unexpected 101 Switching Protocols");
    let contentLength: number | null = null;
    let codings: string | null = null;
    let keepAlive = match[1] === "1";
    let location: string | null = null;
    let retryAfter: string | null = null;
    // Header lines by index into the one head string: no array of lines, no copy per line.
    for (let start = lineEnd + 1; start < head.length; start = lineEnd + 1) {
      lineEnd = head.indexOf("\n", start);
      if (lineEnd < 0) lineEnd = head.length;
      const end = head.charCodeAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd;
      if (end <= start) continue; // the blank line that ends the head
      const colon = head.indexOf(":", start);
      // No name, whitespace before the colon, or an obsolete folded line: refused by RFC 9112 §5.
      if (colon <= start || colon >= end || head.charCodeAt(colon - 1) <= 0x20 || head.charCodeAt(start) <= 0x20) {
        throw new ProtocolError(`Malformed header line: ${JSON.stringify(head.slice(start, Math.min(end, start + 64)))}`);
      }
      // Only names of a length we look for are lowercased and compared.
      if (!WANTED_NAME_LENGTHS.has(colon - start)) continue;
      const name = head.slice(start, colon).toLowerCase();
      if (name === "content-length") contentLength = mergeContentLength(contentLength, head.slice(colon + 1, end));
      else if (name === "transfer-encoding") codings = codings === null ? head.slice(colon + 1, end) : `${codings}, ${head.slice(colon + 1, end)}`;
      else if (name === "connection") keepAlive &&= !CLOSE_TOKEN.test(head.slice(colon + 1, end));
      else if (name === "location") location = head.slice(colon + 1, end).trim();
      else if (name === "retry-after") retryAfter = head.slice(colon + 1, end).trim();
    }
    if (status < 200) return false;
    this.status = status;
    this.location = location;
    this.retryAfter = retryAfter;
    this.keepAlive = keepAlive;
    if (status === 204 || status === 304) {
      // No body, whatever the headers say; one that declares one anyway is not trusted again.
      this.phase = "done";
      if (codings !== null || (contentLength !== null && contentLength > 0)) this.keepAlive = false;
    } else if (codings !== null) {
      // Transfer-Encoding overrides Content-Length; when both came, the message is suspect and
      // the connection is not reused (RFC 9112 §6.1). A final coding other than chunked is
      // delimited by the close.
      if (contentLength !== null) this.keepAlive = false;
      if (CHUNKED_LAST.test(codings)) this.phase = "chunk-size";
      else this.startUntilClose();
    } else if (contentLength !== null) {
      this.remaining = contentLength;
      this.phase = contentLength === 0 ? "done" : "sized";
    } else {
      this.startUntilClose();
    }
    return true;
  }

  private startUntilClose(): void {
    this.phase = "until-close";
    this.keepAlive = false;
  }

  /** Reads body bytes; returns what is left over after the end of the response. */
  private body(bytes: Buffer): Buffer {
    let data = bytes;
    while (data.length > 0 && this.phase !== "done") {
      switch (this.phase) {
        case "sized":
        case "chunk-data": {
          const take = Math.min(this.remaining, data.length);
          this.keep(data.subarray(0, take));
          data = data.subarray(take);
          this.remaining -= take;
          if (this.remaining === 0) this.phase = this.phase === "sized" ? "done" : "chunk-end";
          break;
        }
        case "until-close":
          this.keep(data);
          data = EMPTY;
          break;
        case "chunk-size":
        case "chunk-end":
        case "trailers": {
          const lf = data.indexOf(LF);
          const piece = data.toString("latin1", 0, lf < 0 ? data.length : lf);
          this.line += piece;
          if (this.line.length > MAX_LINE_BYTES) throw new ProtocolError("Chunked framing line too long");
          if (lf < 0) return EMPTY;
          data = data.subarray(lf + 1);
          const line = trimCr(this.line);
          this.line = "";
          this.chunkLine(line);
          break;
        }
      }
      // Enough was read: the log keeps only the captured bytes, so the answer is complete here
      // and the rest is not waited for (a receiver that stalls mid-body has still answered);
      // the connection, with unread bytes in it, is closed.
      if (this.phase !== "done" && this.capturedBytes >= this.captureLimit) {
        this.phase = "done";
        this.keepAlive = false;
        return EMPTY;
      }
    }
    return data;
  }

  private chunkLine(line: string): void {
    if (this.phase === "chunk-end") {
      if (line !== "") throw new ProtocolError("Missing line break after a chunk");
      this.phase = "chunk-size";
    } else if (this.phase === "chunk-size") {
      const match = /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(line);
      if (!match) throw new ProtocolError(`Malformed chunk size: ${JSON.stringify(line.slice(0, 32))}`);
      this.remaining = parseInt(match[1]!, 16);
      this.phase = this.remaining === 0 ? "trailers" : "chunk-data";
    } else if (line === "") {
      this.phase = "done";
    } else {
      this.headBytes += line.length;
      if (this.headBytes > MAX_HEAD_BYTES) throw new ProtocolError("Trailers too long");
    }
  }

  private keep(bytes: Buffer): void {
    const room = this.captureLimit - this.capturedBytes;
    if (room <= 0 || bytes.length === 0) return;
    // Copied: the socket may reuse the buffer it handed us.
    const kept = Buffer.from(room < bytes.length ? bytes.subarray(0, room) : bytes);
    this.captured.push(kept);
    this.capturedBytes += kept.length;
  }
}

/**
 * Offset just past the blank line ending a header block, or -1. Line ends may be CRLF or a
 * bare LF, so the blank line is "\n\r\n" or "\n\n" after the last header's line end.
 */
function headEnd(data: Buffer): number {
  const crlf = data.indexOf(LF_CR_LF);
  const lflf = crlf < 0 ? data.indexOf(LF_LF) : data.subarray(0, crlf).indexOf(LF_LF);
  if (lflf >= 0) return lflf + 2;
  return crlf < 0 ? -1 : crlf + 3;
}

function mergeContentLength(previous: number | null, value: string): number {
  // "42, 42" (a list of equal values) is allowed; anything else that is not one number is not.
  let length: number | null = previous;
  for (const part of value.includes(",") ? value.split(",") : [value]) {
    const digits = part.trim();
    if (!DIGITS.test(digits)) throw new ProtocolError(`Malformed Content-Length: ${JSON.stringify(value.slice(0, 32))}`);
    const n = Number(digits);
    if (length !== null && length !== n) throw new ProtocolError("Conflicting Content-Length values");
    length = n;
  }
  return length!;
}

function trimCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

function concat(...parts: Uint8Array[]): Buffer {
  return Buffer.concat(parts);
}
