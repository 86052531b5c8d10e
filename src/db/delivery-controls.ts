// The per-webhook delivery controls as the claim applies them, the same on every store
// (docs/architecture.md, "Ordering and rate limits"). A store claims due rows as it always has, then, only
// when the batch holds rows of a webhook with a control, decides from database state read in
// the claim's transaction which of them stay claimed and when the others are due again:
// - `ordering: "fifo"`: a webhook's line is its unfinished rows in publish order. Only its
//   head may be leased, and only while no other row of the webhook holds an unexpired lease. The
//   rest go back, due when what blocks them is (the head's retry, or its lease's end); when the
//   head finishes, the outcome's write makes the next one due at once.
// - `rate_limit`: GCRA (the generic cell rate algorithm) over the webhook's theoretical arrival
//   time, kept on the webhook row and moved on in the claim's transaction, so every node shares
//   it. Rows over the limit go back, due at their estimated slot; they are not attempts.
// Pure functions: the stores read and write, this decides.

/** A claimed row, as the controls see it. */
export interface ControlledRow {
  id: string;
  webhookId: string | null;
  /** Publish order within the webhook (SQLite's rowid, PostgreSQL's `seq`). */
  seq: number;
  fifo: boolean;
}

/** What holds a fifo webhook's candidate back, read in the claim's transaction (each null: nothing of that kind). */
export interface FifoBlockers {
  /** Due time of the earliest earlier row still pending (its retry, or when it is due). */
  pendingBefore: number | null;
  /** Lease end of an earlier row still leased. */
  leasedBefore: number | null;
  /** Lease end of another row in flight (leased, unexpired, not by this claim). */
  inFlight: number | null;
}

/** How a claim's rows of controlled webhooks are decided. */
export interface ControlDecision {
  /** Ids of rows that go back, with when they are due again. */
  putBack: Map<string, number>;
  /** Webhook id → its new theoretical arrival time (µs), for rate-limited webhooks that admitted rows. */
  tats: Map<string, number>;
}

/** A rate-limited webhook may take this much of its rate at once (a claim takes rows in batches): a burst of at most 50 ms' worth. */
export const RATE_BURST_MS = 50;
/**
 * A row held back by something already due (an earlier row that is due but not in this claim)
 * is looked at again this much later, not at once: by then that row is claimed.
 */
export const FIFO_RECHECK_MS = 5;
/** Rows of a webhook whose row another node has locked go back for this long (PostgreSQL). */
export const CONTENDED_RETRY_MS = 10;

/** Per webhook with fifo rows in the claim: the candidate (the earliest claimed row) and the others, in publish order. */
export function fifoLines(rows: readonly ControlledRow[]): Map<string, ControlledRow[]> {
  const lines = new Map<string, ControlledRow[]>();
  for (const r of rows) {
    if (!r.fifo || r.webhookId === null) continue;
    let line = lines.get(r.webhookId);
    if (!line) lines.set(r.webhookId, (line = []));
    line.push(r);
  }
  for (const line of lines.values()) line.sort((a, b) => a.seq - b.seq);
  return lines;
}

/**
 * A fifo line's decision: the candidate stays if nothing blocks it; every other row of the line
 * goes back, due when what blocks it ends (the candidate's lease, if it stays), never sooner
 * than FIFO_RECHECK_MS from now.
 */
export function decideFifoLine(line: readonly ControlledRow[], blockers: FifoBlockers, now: number, leaseUntil: number, putBack: Map<string, number>): boolean {
  const times = [blockers.pendingBefore, blockers.leasedBefore, blockers.inFlight].filter((t): t is number => t !== null);
  const blocked = times.length > 0;
  const until = Math.max(now + FIFO_RECHECK_MS, blocked ? Math.max(...times) : leaseUntil);
  for (let i = blocked ? 0 : 1; i < line.length; i++) putBack.set(line[i]!.id, until);
  return !blocked;
}

/**
 * GCRA for `count` rows of one webhook at `ratePerSecond`, from the stored theoretical arrival
 * time `tatUs` (null: never used). The first `admitted` rows go; row i after them is due at
 * `dueAt[i - admitted]`, its estimated slot. `tatUs` is the new theoretical arrival time.
 */
export function gcra(tatUs: number | null, ratePerSecond: number, now: number, count: number): { admitted: number; tatUs: number; dueAt: number[] } {
  const intervalUs = 1e6 / ratePerSecond;
  const burst = Math.max(1, Math.floor((ratePerSecond * RATE_BURST_MS) / 1000));
  const toleranceUs = (burst - 1) * intervalUs;
  const nowUs = now * 1000;
  const start = Math.max(tatUs ?? 0, nowUs);
  // Row i's slot is start + i·interval; it may go once that is within the tolerance of now.
  const admitted = start > nowUs + toleranceUs ? 0 : Math.min(count, Math.floor((nowUs + toleranceUs - start) / intervalUs) + 1);
  const dueAt: number[] = [];
  for (let i = admitted; i < count; i++) dueAt.push(Math.max(now + 1, Math.ceil((start + i * intervalUs - toleranceUs) / 1000)));
  return { admitted, tatUs: Math.round(start + admitted * intervalUs), dueAt };
}

/** The earliest of the put-back times, for the loop's next wake-up. */
export function earliest(putBack: ReadonlyMap<string, number>, also?: number): number | undefined {
  let min = also;
  for (const t of putBack.values()) if (min === undefined || t < min) min = t;
  return min;
}
