// How much the loop claims, and when. Rows are claimed ahead, up to twice the concurrency, so a
// claim is one commit for many rows; under load a claim waits until a full round of rows can be
// taken. A claim that came back short means nothing more is due until a wake-up or the next poll.
import type { Config } from "../config";
import type { ClaimRequest } from "../db/store";

/**
 * A claimed row waits behind at most one full round of requests before its own starts, so its
 * lease covers two timeouts, plus one more of slack for recording the result. A row of a webhook
 * with its own, longer `timeout_ms` is leased for as many of its own timeouts (ClaimRequest).
 */
export const LEASE_TIMEOUTS = 3;

export function leaseMsFor(config: Pick<Config, "deliveryTimeoutMs">): number {
  return LEASE_TIMEOUTS * config.deliveryTimeoutMs;
}

export class Claimer {
  private readonly maxOutstanding: number;
  private readonly minClaim: number;
  private drained = false;

  constructor(
    concurrency: number,
    private readonly leaseMs: number,
  ) {
    this.maxOutstanding = 2 * concurrency;
    this.minClaim = concurrency;
  }

  /** New work may be due (a publish, the poll timer). */
  wake(): void {
    this.drained = false;
  }

  /** What to claim with `outstanding` rows held (waiting or running), or null: not now. */
  request(outstanding: number, now: number): ClaimRequest | null {
    const room = this.maxOutstanding - outstanding;
    if (this.drained || !(outstanding === 0 || room >= this.minClaim)) return null;
    return { now, limit: room, leaseMs: this.leaseMs, leaseTimeouts: LEASE_TIMEOUTS };
  }

  /** A claim for `request` returned `claimed` rows. */
  claimed(request: ClaimRequest, claimed: number): void {
    if (claimed < request.limit) this.drained = true;
  }
}
