// The SSRF guard: webhook targets must be public unicast addresses. ipaddr.js classifies the
// address (it knows loopback, private, CGNAT, link-local, unique-local, multicast, reserved…);
// anything it does not call plain "unicast" is refused.
import ipaddr from "ipaddr.js";
import { lookup } from "node:dns/promises";
import { BoundedMap } from "../bounded-map";

/** True for every address that is not a public unicast address (IPv4, IPv6, IPv4-mapped). */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "");
  if (!ipaddr.isValid(bare)) return true;
  let parsed = ipaddr.parse(bare);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  // ipaddr.js calls everything outside its named ranges "unicast", including IPv4-compatible
  // addresses (::/96, e.g. ::127.0.0.1) and unassigned space; public IPv6 is 2000::/3 only.
  if (parsed.kind() === "ipv6" && !(parsed as ipaddr.IPv6).match(GLOBAL_UNICAST_V6)) return true;
  return parsed.range() !== "unicast";
}

const GLOBAL_UNICAST_V6: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse("2000::"), 3];

/**
 * Whether `host` (no brackets) is an IP address in any notation ipaddr.js reads. What can only
 * be a name (no colon for IPv6, and a character no decimal, octal or 0x-hex IPv4 part uses)
 * skips ipaddr.js's parse attempts, a few µs per name.
 */
function isAddressLiteral(host: string): boolean {
  return (host.includes(":") || !/[^0-9a-fA-FxX.]/.test(host)) && ipaddr.isValid(host);
}

function isLocalhostName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  return h === "localhost" || h.endsWith(".localhost");
}

/**
 * Create-time check of a target host: literal addresses and localhost names are judged now;
 * other names are judged after DNS resolution, at delivery time.
 * Returns the reason a host is refused, or undefined.
 */
export function refuseLiteralHost(hostname: string): string | undefined {
  const bare = hostname.replace(/^\[|\]$/g, "");
  if (isLocalhostName(bare)) return "The URL must not point to localhost";
  if (isAddressLiteral(bare) && isPrivateAddress(bare)) {
    return "The URL must not point to a private, loopback or reserved address";
  }
  return undefined;
}

export type ResolvedTarget = { address: string; family: 4 | 6 } | { refused: string };

type Lookup = (hostname: string) => Promise<{ address: string; family: number }[]>;

const systemLookup: Lookup = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** How long a name found public is trusted without a new lookup (Bun's own fetch DNS cache: 30 s). */
export const PUBLIC_NAME_TTL_MS = 30_000;
const PUBLIC_NAME_CACHE_MAX = 10_000;

/**
 * Names that resolved to public addresses only, with the address chosen. Every attempt used to
 * pay a getaddrinfo round trip through libuv's thread pool for the same few endpoints
 * (test/bench/RESULTS.md, session 2, item 6); keep-alive connections to them are reused anyway. Refusals and lookup failures are
 * never cached, so a name that turns private is refused at the first lookup after its entry
 * expires, and the request still goes to the very address that was checked (no rebinding).
 */
const publicNames = new BoundedMap<string, { until: number; target: { address: string; family: 4 | 6 } }>(PUBLIC_NAME_CACHE_MAX);

/**
 * Delivery-time check: resolve the host and refuse it when ANY of its addresses is not public
 * (a name that resolves to one public and one private address could otherwise be steered to the
 * private one). Returns the address the caller must connect to, so the request cannot be sent to
 * a different answer from a second lookup (DNS rebinding).
 */
export async function resolvePublicTarget(hostname: string, resolve: Lookup = systemLookup, now = Date.now()): Promise<ResolvedTarget> {
  const bare = hostname.replace(/^\[|\]$/g, "");
  if (isLocalhostName(bare)) return { refused: `Refused: ${hostname} is a localhost name` };
  if (isAddressLiteral(bare)) {
    if (isPrivateAddress(bare)) return { refused: `Refused: ${bare} is a private, loopback or reserved address` };
    return { address: bare, family: ipaddr.parse(bare).kind() === "ipv6" ? 6 : 4 };
  }
  const cached = publicNames.get(bare);
  if (cached && cached.until > now) return cached.target;
  let answers: { address: string; family: number }[];
  try {
    answers = await resolve(bare);
  } catch (e) {
    return { refused: `DNS lookup of ${bare} failed: ${(e as Error).message}` };
  }
  if (answers.length === 0) return { refused: `DNS lookup of ${bare} returned no address` };
  const privateAnswer = answers.find((a) => isPrivateAddress(a.address));
  if (privateAnswer) {
    publicNames.delete(bare);
    return { refused: `Refused: ${bare} resolves to ${privateAnswer.address}, a private, loopback or reserved address` };
  }
  const first = answers[0]!;
  const target = { address: first.address, family: first.family === 6 ? (6 as const) : (4 as const) };
  publicNames.set(bare, { until: now + PUBLIC_NAME_TTL_MS, target });
  return target;
}
