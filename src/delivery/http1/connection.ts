// One keep-alive HTTP/1.1 connection (plain TCP or TLS) carrying one exchange at a time, and
// the pool of idle ones. Sockets are Bun's own (Bun.connect), served by the event loop: unlike
// fetch, no request is handed to a separate HTTP-client thread and back, which is most of what a
// delivery costs once the database work is batched.
import type { Socket, SocketHandler } from "bun";
import { MAX_LOGGED_RESPONSE_BYTES } from "../transport";
import { connectRequest, tunnelAnswer, type ProxyRoute } from "./proxy";
import { ProtocolError, ResponseParser, type ParsedResponse } from "./response-parser";

export interface Endpoint {
  /** Address (or, when private targets are allowed, name) to connect to. */
  hostname: string;
  port: number;
  /** TLS server name, checked against the certificate; absent for plain HTTP. */
  tls?: { serverName: string };
  /** Reach the endpoint through this proxy's CONNECT tunnel (./proxy.ts). */
  proxy?: ProxyRoute;
}

/**
 * The plain socket under a TLS tunnel through a proxy: Bun reports its events (the ciphertext,
 * its close) to the same handlers as the TLS socket on top, which carries everything we need.
 */
const TUNNEL_UNDER_TLS = Symbol("tunnel under TLS");
type SocketData = Connection | typeof TUNNEL_UNDER_TLS;

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
/** As undici's default connect timeout. */
const CONNECT_TIMEOUT_MS = 10_000;

export class Connection {
  socket: Socket<SocketData> | undefined;
  /** While a proxy is asked for the tunnel: its answer so far, and where the tunnel goes. */
  private tunnel: { endpoint: Endpoint; answer: string } | undefined;
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
      // A TCP connect or TLS handshake that never completes must not hold its socket for ever
      // (the exchange that asked for it has its own, usually shorter, deadline).
      const timer = setTimeout(() => this.fail(`Connecting timed out after ${CONNECT_TIMEOUT_MS} ms`), CONNECT_TIMEOUT_MS);
      this.ready = () => (clearTimeout(timer), resolve());
      this.failedToOpen = (error) => (clearTimeout(timer), reject(new Error(error)));
      const proxy = endpoint.proxy;
      if (proxy) this.tunnel = { endpoint, answer: "" };
      const via = proxy ? { hostname: proxy.hostname, port: proxy.port } : { hostname: endpoint.hostname, port: endpoint.port, tls: endpoint.tls };
      this.attempt = Bun.connect<SocketData>({ ...via, data: this, socket: handlers }).then(
        (socket) => {
          if (this.closed) socket.terminate();
          else if (proxy) socket.write(connectRequest(proxy, endpoint.hostname, endpoint.port));
          else if (!endpoint.tls) this.opened();
        },
        (e) => this.fail(proxy ? `Proxy ${proxy.label}: ${describeSocketError(e)}` : describeSocketError(e)),
      );
    });
  }

  /** Settles when the TCP connect itself ends, connected or not (the kernel may keep trying past our timeout). */
  attempt: Promise<void> = Promise.resolve();

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
    if (this.tunnel) return this.tunnelAnswered(bytes);
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

  /** The proxy's answer to CONNECT: the tunnel is open (then TLS over it, if the target wants it), or the connect fails. */
  private tunnelAnswered(bytes: Buffer): void {
    const tunnel = this.tunnel!;
    tunnel.answer += bytes.toString("latin1");
    const answer = tunnelAnswer(tunnel.answer);
    if (!answer) return;
    this.tunnel = undefined;
    if ("error" in answer) return this.fail(answer.error);
    const tls = tunnel.endpoint.tls;
    if (!tls) return this.opened();
    const [plain, secure] = this.socket!.upgradeTLS<SocketData>({ data: this, tls: { serverName: tls.serverName }, socket: handlers });
    plain.data = TUNNEL_UNDER_TLS;
    this.socket = secure;
  }

  private finish(response: ParsedResponse): void {
    const listener = this.listener!;
    // Answered before the whole request was sent (e.g. a 413): the connection is out of step.
    const reusable = response.keepAlive && !this.unsent;
    this.listener = this.parser = this.unsent = undefined;
    this.reused = true;
    if (reusable) release(this);
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

/** The connection a socket serves, or none for the plain socket under a TLS tunnel. */
function connectionOf(socket: Socket<SocketData>): Connection | undefined {
  return socket.data === TUNNEL_UNDER_TLS ? undefined : socket.data;
}

const handlers: SocketHandler<SocketData> = {
  open(socket) {
    // Idle pooled sockets must not keep the process alive; a request in flight has its timer.
    socket.unref();
    const conn = connectionOf(socket);
    if (conn && !conn.socket) conn.socket = socket;
  },
  handshake(socket, success, authorizationError) {
    const conn = connectionOf(socket);
    if (success) conn?.opened();
    else conn?.fail(`TLS certificate not accepted: ${authorizationError?.message ?? "verification failed"}`);
  },
  data(socket, bytes) {
    connectionOf(socket)?.received(bytes);
  },
  drain(socket) {
    connectionOf(socket)?.flush();
  },
  end(socket) {
    connectionOf(socket)?.ended();
  },
  close(socket, error) {
    const conn = connectionOf(socket);
    if (!conn) return;
    conn.closed = true;
    idle.remove(conn);
    conn.ended(error ? describeSocketError(error) : undefined);
  },
  error(socket, error) {
    connectionOf(socket)?.ended(describeSocketError(error));
  },
  connectError(socket, error) {
    connectionOf(socket)?.fail(describeSocketError(error));
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

/** Someone waiting for a connection to an endpoint (an exchange). */
export interface ConnectionRequest {
  granted(conn: Connection): void;
  failed(error: string): void;
  /** Gave up (timed out): skipped when its turn comes. */
  readonly settled: boolean;
}

/**
 * Connects under way to one endpoint, and requests waiting for a connection. A connect cannot be
 * cancelled once started (Bun.connect has no handle before it completes), so to a blackholed
 * endpoint every attempt used to leave a socket in SYN-SENT for the kernel's ~2 minutes of
 * retries: hundreds of file descriptors. At most MAX_OPENING connects per endpoint are under
 * way at once; other requests wait for one of them, or for a connection an exchange releases.
 */
interface EndpointState {
  endpoint: Endpoint;
  opening: number;
  waiting: ConnectionRequest[];
}
const MAX_OPENING = 16;
const endpoints = new Map<string, EndpointState>();

/** Hands `request` a connection: an idle one, a new one, or the next one freed. `fresh` skips idle ones. */
export function acquire(key: string, endpoint: Endpoint, request: ConnectionRequest, fresh = false): void {
  const idleOne = fresh ? undefined : idle.take(key);
  if (idleOne) return request.granted(idleOne);
  let state = endpoints.get(key);
  if (!state) endpoints.set(key, (state = { endpoint, opening: 0, waiting: [] }));
  if (state.opening < MAX_OPENING) open(key, state, request);
  else state.waiting.push(request);
}

function open(key: string, state: EndpointState, request: ConnectionRequest): void {
  state.opening++;
  const conn = new Connection(key);
  const opened = conn.open(state.endpoint).then(
    // The requester may have timed out meanwhile: the new connection serves someone else.
    () => (request.settled ? release(conn) : request.granted(conn)),
    (e: Error) => {
      if (!request.settled) request.failed(e.message);
    },
  );
  // Counted until both the kernel's connect and our open (TLS handshake included) are over:
  // a SYN the kernel keeps retrying past our timeout still holds a descriptor.
  void Promise.all([opened, conn.attempt]).then(() => {
    state.opening--;
    startWaiting(key, state);
  });
}

function startWaiting(key: string, state: EndpointState): void {
  while (state.opening < MAX_OPENING && state.waiting.length > 0) {
    const next = state.waiting.shift()!;
    if (!next.settled) open(key, state, next);
  }
  if (state.opening === 0 && state.waiting.length === 0) endpoints.delete(key);
}

/** A connection free for another exchange: the first request still waiting for one, else the idle pool. */
function release(conn: Connection): void {
  const state = endpoints.get(conn.key);
  while (state && state.waiting.length > 0) {
    const next = state.waiting.shift()!;
    if (!next.settled) return next.granted(conn);
  }
  idle.put(conn);
}

/** Closes every idle connection (shutdown, tests). */
export function closeIdleConnections(): void {
  idle.sweep(-1);
}
