// Login throttling, in memory (one process: no shared store). Sliding windows:
// failed attempts per email, and all attempts per client IP. Counting failures per email
// stops password guessing against one account without locking out a user who signs in
// often; counting everything per IP bounds the argon2 work one client can make us do.

export interface WindowLimit {
  max: number;
  windowMs: number;
}

export interface LoginLimits {
  perEmail: WindowLimit;
  perIp: WindowLimit;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perEmail: { max: 5, windowMs: 15 * 60 * 1000 },
  perIp: { max: 30, windowMs: 15 * 60 * 1000 },
};

/** Attempt times per key within a sliding window. */
export class SlidingWindow {
  private readonly hits = new Map<string, number[]>();
  private sweepCountdown = 1000;

  constructor(
    private readonly limit: WindowLimit,
    /** Bounds memory under a flood of distinct keys; the oldest keys are forgotten first. */
    private readonly maxKeys = 100_000,
  ) {}

  private live(key: string, now: number): number[] {
    const since = now - this.limit.windowMs;
    const times = (this.hits.get(key) ?? []).filter((t) => t > since);
    if (times.length === 0) this.hits.delete(key);
    else this.hits.set(key, times);
    return times;
  }

  /** Milliseconds until the key may try again, or 0 when it is under the limit. */
  blockedFor(key: string, now = Date.now()): number {
    const times = this.live(key, now);
    if (times.length < this.limit.max) return 0;
    return times[times.length - this.limit.max]! + this.limit.windowMs - now;
  }

  record(key: string, now = Date.now()): void {
    const times = this.live(key, now);
    times.push(now);
    this.hits.delete(key); // re-insert so Map order is least-recently-hit first
    this.hits.set(key, times);
    if (this.hits.size > this.maxKeys) this.hits.delete(this.hits.keys().next().value!);
    if (--this.sweepCountdown <= 0) this.sweep(now);
  }

  /** Takes back one recorded hit (an attempt that turned out not to count). */
  release(key: string, at: number): void {
    const times = this.hits.get(key);
    const i = times?.indexOf(at) ?? -1;
    if (times && i >= 0) times.splice(i, 1);
  }

  private sweep(now: number): void {
    this.sweepCountdown = 1000;
    for (const key of [...this.hits.keys()]) this.live(key, now);
  }
}

export class LoginRateLimiter {
  private readonly byEmail: SlidingWindow;
  private readonly byIp: SlidingWindow;

  constructor(limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {
    this.byEmail = new SlidingWindow(limits.perEmail);
    this.byIp = new SlidingWindow(limits.perIp);
  }

  /** Seconds to wait before the next attempt for this email or IP, or 0 to go ahead. */
  retryAfterSeconds(email: string, ip: string, now = Date.now()): number {
    const ms = Math.max(this.byEmail.blockedFor(email, now), this.byIp.blockedFor(ip, now));
    return ms > 0 ? Math.max(1, Math.ceil(ms / 1000)) : 0;
  }

  /**
   * Counts an attempt against both keys before the password is checked, so a burst of
   * concurrent guesses cannot all pass the check; call the returned function on success to
   * take the email's count back.
   */
  begin(email: string, ip: string, now = Date.now()): () => void {
    this.byIp.record(ip, now);
    this.byEmail.record(email, now);
    return () => this.byEmail.release(email, now);
  }
}
