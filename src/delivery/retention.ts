// When retention runs (RETENTION_DAYS, docs/architecture.md): hourly, the first time a little
// after start-up so start-up (and a backlog after a restart) come first. What goes is the
// store's to decide (Store.retention).
import type { Retention } from "../db/store";
import type { Logger } from "../log";

export const RETENTION_EVERY_MS = 60 * 60 * 1000;
export const RETENTION_FIRST_AFTER_MS = 30_000;

export class RetentionSchedule {
  private every: ReturnType<typeof setInterval> | undefined;
  private first: ReturnType<typeof setTimeout> | undefined;
  private running = false;

  constructor(
    private readonly retention: Retention,
    private readonly retentionDays: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.running = true;
    this.every = setInterval(() => void this.runOnce(), RETENTION_EVERY_MS);
    this.first = setTimeout(() => void this.runOnce(), RETENTION_FIRST_AFTER_MS);
  }

  /** Stops the timers; a purge under way ends after its current batch. */
  stop(): void {
    this.running = false;
    clearInterval(this.every);
    clearTimeout(this.first);
  }

  /** One purge now; failures are logged, never thrown (the next hour tries again). */
  async runOnce(now = Date.now()): Promise<void> {
    try {
      const purged = await this.retention.purgeExpired(this.retentionDays, now, () => this.running);
      if (purged.deliveries + purged.attempts + purged.events + purged.portalKeys > 0) this.logger.info("retention purge", { ...purged });
    } catch (e) {
      this.logger.error("retention purge failed", { error: String(e) });
    }
  }
}
