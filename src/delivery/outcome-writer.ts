// Outcomes of attempts wait here until the next turn writes them, all in one record with that
// turn's claim (a commit costs far more than a row). When a write fails (typically: another
// process held the write lock past the busy timeout) the outcomes stay here and writes pause,
// doubling from WRITE_PAUSE_FIRST_MS to WRITE_PAUSE_MAX_MS, so the loop does not block the event
// loop on the lock turn after turn; if the process dies meanwhile, the leases expire and the
// deliveries are attempted again (at least once).
import { isDatabaseBusy } from "../db/busy";
import type { AttemptResult, ClaimedBatch, ClaimRequest, DeliveryQueue } from "../db/store";
import type { Logger } from "../log";

/** Outcomes wait at most this long (or for this many) before they are written. */
export const FLUSH_AFTER_MS = 20;
export const FLUSH_AT = 512;
const WRITE_PAUSE_FIRST_MS = 100;
const WRITE_PAUSE_MAX_MS = 1000;

export class OutcomeWriter {
  private results: AttemptResult[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private resumeTimer: ReturnType<typeof setTimeout> | undefined;
  private pauseMs = 0;
  /** A write is under way: the next one waits for it (outcomes and claims stay in order). */
  writing = false;

  constructor(
    private readonly queue: DeliveryQueue,
    private readonly logger: Logger,
    /** Called when writes may resume after a pause. */
    private readonly resume: () => void,
  ) {}

  add(result: AttemptResult): void {
    this.results.push(result);
  }

  get pending(): number {
    return this.results.length;
  }

  /** Writes pause after a failed one; `resume` is called when they may go on. */
  get paused(): boolean {
    return this.resumeTimer !== undefined;
  }

  /** Whether a turn that does not claim should still write now. */
  due(idle: boolean): boolean {
    return this.results.length >= FLUSH_AT || (this.results.length > 0 && idle);
  }

  /** Outcomes that wait are written within FLUSH_AFTER_MS even if no turn comes. */
  flushSoon(): void {
    if (this.results.length === 0 || this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      if (this.results.length > 0 && !this.paused && !this.writing) void this.write(null);
    }, FLUSH_AFTER_MS);
  }

  /**
   * Writes every waiting outcome and, with `claim`, claims: one record. Undefined when the write
   * failed (the outcomes wait for the next one, and writes pause).
   */
  async write(claim: ClaimRequest | null): Promise<ClaimedBatch | undefined> {
    const batch = this.results;
    this.results = [];
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.writing = true;
    try {
      const claimed = await this.queue.recordAndClaim(batch, claim);
      this.pauseMs = 0;
      return claimed;
    } catch (e) {
      this.results = batch.concat(this.results);
      this.failed(e);
      return undefined;
    } finally {
      this.writing = false;
    }
  }

  /**
   * Extends the leases of `held()` rows, in turn with this writer's writes: on PostgreSQL two
   * statements of one node locking the same rows in different orders could deadlock. False: a
   * write is under way or paused, nothing was done, ask again soon. A failed renewal is only
   * logged: the next one comes before the leases end.
   */
  async renew(held: () => { id: string; lease: string }[], leaseMs: number): Promise<boolean> {
    if (this.writing || this.paused) return false;
    this.writing = true;
    const claims = held();
    try {
      await this.queue.renew(claims, Date.now(), leaseMs);
    } catch (e) {
      this.logger.warn("delivery: renewing leases failed", { error: String(e), held: claims.length });
    } finally {
      this.writing = false;
    }
    return true;
  }

  /** Stops the timers (shutdown); what waits is written by a last `write`. */
  stop(): void {
    clearTimeout(this.flushTimer);
    clearTimeout(this.resumeTimer);
    this.flushTimer = this.resumeTimer = undefined;
  }

  private failed(e: unknown): void {
    const busy = isDatabaseBusy(e);
    this.pauseMs = Math.min(Math.max(WRITE_PAUSE_FIRST_MS, this.pauseMs * 2), WRITE_PAUSE_MAX_MS);
    (busy ? this.logger.warn : this.logger.error)(busy ? "delivery: database busy, will retry" : "delivery: database write failed", {
      error: String(e),
      pending_results: this.results.length,
      retry_in_ms: this.pauseMs,
    });
    this.resumeTimer ??= setTimeout(() => {
      this.resumeTimer = undefined;
      this.resume();
    }, this.pauseMs);
  }
}
