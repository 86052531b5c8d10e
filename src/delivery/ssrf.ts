// The SSRF guard: webhook targets must be public unicast addresses. ipaddr.js classifies the
// address (it knows loopback, private, CGNAT, link-local, unique-local, multicast, reserved…);
// anything it does not call plain "unicast" is refused.
import ipaddr from "ipaddr.js";

/** True for every address that is not a public unicast address (IPv4, IPv6, IPv4-mapped). */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "");
  if (!ipaddr.isValid(bare)) return true;
  let parsed = ipaddr.parse(bare);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range() !== "unicast";
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
  if (ipaddr.isValid(bare) && isPrivateAddress(bare)) {
    return "The URL must not point to a private, loopback or reserved address";
  }
  return undefined;
}
