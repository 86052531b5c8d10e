// An egress proxy for every outgoing request (DELIVERY_PROXY_URL, README "Configuration"): an
// HTTP proxy reached in plain TCP that opens a tunnel with CONNECT (RFC 9110 §9.3.6), so every
// delivery leaves from the proxy's address. The target is checked against the SSRF rules and
// resolved before the tunnel is asked for, and the CONNECT names that checked address: the
// proxy never resolves the name again, so a second DNS answer cannot redirect the request.
// The proxy's own address is the operator's choice and is not checked.

export interface ProxyRoute {
  hostname: string;
  port: number;
  /** `Proxy-Authorization` value, from the URL's user name and password. */
  authorization?: string;
  /** For logs and endpoint keys: the proxy without its credentials. */
  label: string;
  /** The URL as configured, credentials included (for fetch's `proxy`): never logged. */
  url: string;
}

/** Why `raw` is not a usable proxy URL, or the route. */
export function parseProxyUrl(raw: string): ProxyRoute | { problem: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problem: "must be an http:// URL of a proxy that supports CONNECT" };
  }
  if (url.protocol !== "http:") return { problem: "must be an http:// URL of a proxy that supports CONNECT (https:// proxies are not supported)" };
  if (url.pathname !== "/" || url.search || url.hash) return { problem: "must be only a scheme, credentials, host and port" };
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  const port = url.port ? Number(url.port) : 80;
  const credentials = url.username || url.password ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined;
  return {
    hostname,
    port,
    authorization: credentials === undefined ? undefined : `Basic ${Buffer.from(credentials).toString("base64")}`,
    label: `${url.hostname}:${port}`,
    url: raw,
  };
}

/** The CONNECT request for `host:port` (an IPv6 address in brackets). */
export function connectRequest(proxy: ProxyRoute, hostname: string, port: number): string {
  const authority = hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
  const auth = proxy.authorization ? `proxy-authorization: ${proxy.authorization}\r\n` : "";
  return `CONNECT ${authority} HTTP/1.1\r\nhost: ${authority}\r\n${auth}\r\n`;
}

/** A proxy answer's head is small; a longer one is not a proxy talking. */
const MAX_TUNNEL_HEAD = 8192;

/**
 * Feeds the proxy's answer to a CONNECT: undefined while its head is incomplete, then whether the
 * tunnel is open. Bytes after the head belong to the tunnel: a proxy sends none before we speak.
 */
export function tunnelAnswer(head: string): { open: true } | { error: string } | undefined {
  const end = head.indexOf("\r\n\r\n");
  if (end < 0) return head.length > MAX_TUNNEL_HEAD ? { error: "The proxy's answer to CONNECT is not HTTP" } : undefined;
  const match = /^HTTP\/1\.[01] (\d{3})[^\r\n]*/.exec(head);
  if (!match) return { error: "The proxy's answer to CONNECT is not HTTP" };
  const status = Number(match[1]);
  if (status >= 200 && status < 300) return { open: true };
  if (status === 407) return { error: "The proxy refused the tunnel: 407 Proxy Authentication Required (check DELIVERY_PROXY_URL's credentials)" };
  return { error: `The proxy refused the tunnel: ${match[0].slice(9)}` };
}
