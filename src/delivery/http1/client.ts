// One HTTP/1.1 POST over a pooled keep-alive connection, with a deadline. The delivery engine's
// hot path: Bun's fetch hands each request to a separate HTTP-client thread and back, which
// cost as much CPU as all our database work per delivery, while a socket on the event loop costs
// far less (test/bench/RESULTS.md, session 2, item 1).
import { acquire, type Connection, type ConnectionRequest, type Endpoint, type ExchangeListener } from "./connection";
import type { ParsedResponse } from "./response-parser";

export { closeIdleConnections } from "./connection";
export type { Endpoint } from "./connection";
export type { ProxyRoute } from "./proxy";
export type { ParsedResponse } from "./response-parser";

export interface PostRequest {
  endpoint: Endpoint;
  /** The request line and headers, each line ending in CRLF, without the blank line or Content-Length. */
  head: string;
  body: string;
}

/** Resolves with the response (any status); rejects with an Error whose message says what went wrong. */
export function post(request: PostRequest, timeoutMs: number): Promise<ParsedResponse> {
  return new Promise<ParsedResponse>((resolve, reject) => new Exchange(request, timeoutMs, resolve, reject).start());
}

function endpointKey(e: Endpoint): string {
  const key = e.tls ? `https://${e.hostname}:${e.port}/${e.tls.serverName}` : `http://${e.hostname}:${e.port}`;
  return e.proxy ? `${key} via ${e.proxy.label}` : key;
}

function timedOut(exchange: Exchange): void {
  exchange.timeout();
}

class Exchange implements ExchangeListener, ConnectionRequest {
  private readonly key: string;
  private readonly message: string;
  private readonly bytes: number;
  private readonly timer: ReturnType<typeof setTimeout>;
  private conn: Connection | undefined;
  private retried = false;
  settled = false;

  constructor(
    private readonly request: PostRequest,
    private readonly timeoutMs: number,
    private readonly resolve: (response: ParsedResponse) => void,
    private readonly reject: (error: Error) => void,
  ) {
    this.key = endpointKey(request.endpoint);
    const bodyBytes = Buffer.byteLength(request.body);
    const head = `${request.head}content-length: ${bodyBytes}\r\n\r\n`;
    this.message = head + request.body;
    this.bytes = head.length + bodyBytes; // the head is ASCII: URL host and path are encoded
    this.timer = setTimeout(timedOut, timeoutMs, this);
  }

  start(): void {
    acquire(this.key, this.request.endpoint, this);
  }

  granted(conn: Connection): void {
    this.conn = conn;
    conn.send(this.message, this.bytes, this);
  }

  failed(error: string): void {
    this.onFailure(error, false);
  }

  onResponse(response: ParsedResponse): void {
    if (this.settle()) this.resolve(response);
  }

  onFailure(error: string, stale: boolean): void {
    if (this.settled) return;
    // A kept-alive connection the server had just closed: nothing was answered, so the request
    // goes out once more on a new connection (what browsers and HTTP agents do).
    if (stale && !this.retried) {
      this.retried = true;
      this.conn = undefined;
      return acquire(this.key, this.request.endpoint, this, true);
    }
    if (this.settle()) this.reject(new Error(error));
  }

  timeout(): void {
    if (!this.settle()) return;
    this.conn?.close();
    this.reject(new Error(`Timed out after ${this.timeoutMs} ms`));
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    clearTimeout(this.timer);
    return true;
  }
}
