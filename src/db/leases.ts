// How long a claimed row is leased when its webhook has its own timeout (ClaimRequest.leaseTimeouts):
// the same rule for every store, applied after the claim in its transaction, and only to the
// rows that need it, so a claim with none costs nothing more.
import type { ClaimRequest, WebhookTarget } from "./store";

/** The lease end of a row of this webhook, when it must outlast the claim's own; else undefined. */
export function longerLeaseUntil(claim: ClaimRequest, webhook: WebhookTarget | undefined): number | undefined {
  const timeoutMs = webhook?.timeoutMs;
  if (!timeoutMs || !claim.leaseTimeouts) return undefined;
  const leaseMs = claim.leaseTimeouts * timeoutMs;
  return leaseMs > claim.leaseMs ? claim.now + leaseMs : undefined;
}
