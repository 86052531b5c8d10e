// How much the loop claims, and when. Rows are claimed ahead, up to twice the concurrency, so a
// claim is one commit for many rows; under load a claim waits until a full round of rows can be
// taken. A claim that came back short means nothing more is due until a wake-up or the next poll.
import type { ClaimRequest } from "../db/store";

/**
 * How long a claim holds its rows. The loop renews the leases of every row it still holds
 * (waiting or in flight) every LEASE_RENEW_EVERY_MS, so a lease needs to cover only a few missed
 * renewals, not a request: a node that dies leaves its rows to the others within seconds
 * (docs/scaling.md).
 */
export const LEASE_MS = 10_000;
export const LEASE_RENEW_EVERY_MS = 2_500;

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
    return { now, limit: room, leaseMs: this.leaseMs };
  }

  /** A claim for `request` returned `claimed` rows. */
  claimed(request: ClaimRequest, claimed: number): void {
    if (claimed < request.limit) this.drained = true;
  }
}
