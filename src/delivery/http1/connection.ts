// One keep-alive HTTP/1.1 connection (plain TCP or TLS) carrying one exchange at a time, and
// the pool of idle ones. Sockets are Bun's own (Bun.connect), served by the event loop: unlike
// fetch, no request is handed to a separate HTTP-client thread and back, which is most of what a
// delivery costs once the database work is batched.
import type { Socket, SocketHandler } from "bun";
import { MAX_LOGGED_RESPONSE_BYTES } from "../transport";
import { ProtocolError, ResponseParser, type ParsedResponse } from "./response-parser";

export interface Endpoint {
  /** Address (or, when private targets are allowed, name) to connect to. */
  hostname: string;
  port: number;
  /** TLS server name, checked against the certificate; absent for plain HTTP. */
  tls?: { serverName: string };
}

/** What a finished exchange reports to its owner. */
export interface ExchangeListener {
  onResponse(response: ParsedResponse): void;
  /** `stale`: a reused connection closed before any byte of a response; the request may be sent again. */
  onFailure(error: string, stale: boolean): void;
}

/** Connections idle longer than this are closed (servers commonly drop them after 5 s). */
const IDLE_MS = 4000;
/** Idle connections kept across all endpoints. */
const MAX_IDLE = 1024;

export class Connection {
  socket: Socket<Connection> | undefined;
  private listener: ExchangeListener | undefined;
  private parser: ResponseParser | undefined;
  private unsent: Uint8Array | undefined;
  /** Set once the connection has carried a complete exchange. */
  reused = false;
  idleSince = 0;
  closed = false;
  private ready: (() => void) | undefined;
  private failedToOpen: ((error: string) => void) | undefined;

  constructor(readonly key: string) {}

  /** Resolves once the connection can carry a request (TCP connected, TLS handshake verified). */
  open(endpoint: Endpoint): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.ready = resolve;
      this.failedToOpen = (error) => reject(new Error(error));
      Bun.connect<Connection>({ hostname: endpoint.hostname, port: endpoint.port, tls: endpoint.tls, data: this, socket: handlers }).then(
        (socket) => {
          if (this.closed) socket.terminate();
          else if (!endpoint.tls) this.opened();
        },
        (e) => this.fail(describeSocketError(e)),
      );
    });
  }

  opened(): void {
    const ready = this.ready;
    this.ready = this.failedToOpen = undefined;
    ready?.();
  }

  /** Sends one request of `byteLength` bytes; the listener hears exactly once. */
  send(request: string, byteLength: number, listener: ExchangeListener): void {
    this.listener = listener;
    this.parser = new ResponseParser(MAX_LOGGED_RESPONSE_BYTES);
    const written = this.socket!.write(request);
    // Nothing went out: on a kept-alive connection the server had closed, send it again elsewhere.
    if (written < 0) return this.fail("Connection closed before the request was sent", this.reused);
    // A partial write: the rest goes out on `drain` (the count is in bytes, not characters).
    if (written < byteLength) this.unsent = Buffer.from(request).subarray(written);
  }

  flush(): void {
    if (!this.unsent || !this.socket) return;
    const written = this.socket.write(this.unsent);
    if (written < 0) return this.fail("Connection closed before the request was sent");
    this.unsent = written < this.unsent.length ? this.unsent.subarray(written) : undefined;
  }

  received(bytes: Buffer): void {
    const parser = this.parser;
    if (!parser) {
      // Bytes nobody asked for (an idle connection answering on its own, e.g. a 408): drop it.
      this.close();
      return;
    }
    let done: boolean;
    try {
      done = parser.push(bytes);
    } catch (e) {
      return this.fail(e instanceof ProtocolError ? `Invalid HTTP response: ${e.message}` : String(e));
    }
    if (done) this.finish(parser.result());
  }

  /** The peer closed (FIN, reset or error): completes a close-delimited body, fails anything else. */
  ended(error?: string): void {
    const parser = this.parser;
    if (parser && !error && parser.end()) return this.finish(parser.result());
    if (parser) {
      const stale = this.reused && !parser.started;
      return this.fail(error ?? "Connection closed before the response was complete", stale);
    }
    this.fail(error ?? "Connection closed before it was ready");
  }

  private finish(response: ParsedResponse): void {
    const listener = this.listener!;
    // Answered before the whole request was sent (e.g. a 413): the connection is out of step.
    const reusable = response.keepAlive && !this.unsent;
    this.listener = this.parser = this.unsent = undefined;
    this.reused = true;
    if (reusable) idle.put(this);
    else this.close();
    listener.onResponse(response);
  }

  /** Ends whatever is under way with `error` and closes the connection. */
  fail(error: string, stale = false): void {
    const listener = this.listener;
    const failedToOpen = this.failedToOpen;
    this.listener = this.parser = this.unsent = undefined;
    this.ready = this.failedToOpen = undefined;
    this.close();
    failedToOpen?.(error);
    listener?.onFailure(error, stale);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    idle.remove(this);
    this.socket?.terminate();
  }
}

const handlers: SocketHandler<Connection> = {
  open(socket) {
    // Idle pooled sockets must not keep the process alive; a request in flight has its timer.
    socket.unref();
    socket.data.socket = socket;
  },
  handshake(socket, success, authorizationError) {
    if (success) socket.data.opened();
    else socket.data.fail(`TLS certificate not accepted: ${authorizationError?.message ?? "verification failed"}`);
  },
  data(socket, bytes) {
    socket.data.received(bytes);
  },
  drain(socket) {
    socket.data.flush();
  },
  end(socket) {
    socket.data.ended();
  },
  close(socket, error) {
    socket.data.closed = true;
    idle.remove(socket.data);
    socket.data.ended(error ? describeSocketError(error) : undefined);
  },
  error(socket, error) {
    socket.data.ended(describeSocketError(error));
  },
  connectError(socket, error) {
    socket.data.fail(describeSocketError(error));
  },
};

export function describeSocketError(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as Error & { code?: string }).code;
    return code && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}

/** Idle connections by endpoint key, newest last (reused first: the least likely to be timed out). */
class IdlePool {
  private readonly byKey = new Map<string, Connection[]>();
  private size = 0;
  private sweeper: ReturnType<typeof setInterval> | undefined;

  take(key: string): Connection | undefined {
    const list = this.byKey.get(key);
    while (list && list.length > 0) {
      const conn = list.pop()!;
      this.size--;
      if (!conn.closed && Date.now() - conn.idleSince < IDLE_MS) return conn;
      conn.close();
    }
    return undefined;
  }

  put(conn: Connection): void {
    if (this.size >= MAX_IDLE) return conn.close();
    conn.idleSince = Date.now();
    let list = this.byKey.get(conn.key);
    if (!list) this.byKey.set(conn.key, (list = []));
    list.push(conn);
    this.size++;
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), 1000);
      this.sweeper.unref();
    }
  }

  remove(conn: Connection): void {
    const list = this.byKey.get(conn.key);
    const at = list ? list.indexOf(conn) : -1;
    if (at < 0) return;
    list!.splice(at, 1);
    this.size--;
  }

  /** Closes connections idle past IDLE_MS; stops sweeping once none are left. */
  sweep(maxIdleMs = IDLE_MS): void {
    const now = Date.now();
    for (const [key, list] of this.byKey) {
      for (const conn of list.filter((c) => c.closed || now - c.idleSince >= maxIdleMs)) conn.close();
      if (list.length === 0) this.byKey.delete(key);
    }
    if (this.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}

const idle = new IdlePool();

export function takeIdleConnection(key: string): Connection | undefined {
  return idle.take(key);
}

/** Closes every idle connection (shutdown, tests). */
export function closeIdleConnections(): void {
  idle.sweep(-1);
}
