// How much the loop claims, and when. Rows are claimed ahead, up to twice the concurrency, so a
// claim is one commit for many rows; under load a claim waits until a full round of rows can be
// taken. A claim that came back short means nothing more is due until a wake-up or the next poll,
// or until the time the store said something it made due later is due (WakeTimer).
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

  /**
   * A claim for `request` took `claimed` rows and gave `putBack` back (held by their webhook's
   * delivery control): only a claim that looked at fewer rows than it asked for found all that is due.
   */
  claimed(request: ClaimRequest, claimed: number, putBack = 0): void {
    if (claimed + putBack < request.limit) this.drained = true;
  }
}

/**
 * One timer for the earliest moment the store said work becomes due (rows a delivery control
 * put back, the next row of a fifo line, a retry): the loop wakes then rather than at the next
 * poll. Only an earlier time moves it, and a time at or past the next poll is left to the poll,
 * so it never spins.
 */
export class WakeTimer {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private at = Infinity;

  constructor(
    private readonly pollMs: number,
    private readonly wake: () => void,
  ) {}

  wakeAt(at: number, now = Date.now()): void {
    if (at >= this.at || at - now >= this.pollMs) return;
    clearTimeout(this.timer);
    this.at = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.at = Infinity;
      this.wake();
    }, Math.max(0, at - now) + 1);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Infinity;
  }
}
