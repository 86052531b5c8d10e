// Claimed jobs waiting per endpoint (src/delivery/endpoint-queues.ts), driven alone on a fake
// clock: jobs start in claim order, skipping endpoints at their share; and an endpoint's share of
// the delivery slots: a few slots to start,
// doubled by each answered attempt; halved by each attempt that hangs without an answer (or
// whose request waits too long with no answer at all); rows beyond a restricted target's queue
// put back for a delay that grows while the target keeps hanging. A fake clock throughout.
import { describe, expect, test } from "bun:test";
import {
  EndpointQueues, FIRST_ANSWER_PATIENCE_MS, IDLE_FORGET_MS, INITIAL_SLOTS, MAX_DEFER_MS, RESTRICTED_FORGET_MS, suspectAfterMs,
  type EndpointJob,
} from "../src/delivery/endpoint-queues";
import type { AttemptOutcome } from "../src/delivery/transport";

const TIMEOUT = 1000;
const hung = { statusCode: null, responseBody: null, error: "Timed out after 1000 ms", durationMs: TIMEOUT };
const refused = { statusCode: null, responseBody: null, error: "ECONNREFUSED", durationMs: 2 };
const answered = (statusCode: number) => ({ statusCode, responseBody: "", error: null, durationMs: 5 });

type Job = EndpointJob & { name: string };
let named = 0;
const job = (target: string, isRetry = false, name = `j${named++}`): Job => ({ target, isRetry, name, startedAt: 0, seq: 0, slot: -1 });

/**
 * The queues driven by endpoint key, as the share tests below think of them: `queued` adds a
 * job, `started` starts that endpoint's oldest waiting job whatever its share, `finished` ends
 * one of its running attempts as if it had started at `startedAt`.
 */
class Limits {
  readonly queues: EndpointQueues<Job>;
  private readonly waitingOf = new Map<string, Job[]>();
  private readonly runningOf = new Map<string, Job[]>();

  constructor(max: number, timeoutMs: number, clock: () => number) {
    this.queues = new EndpointQueues<Job>(max, timeoutMs, clock);
  }

  private list(map: Map<string, Job[]>, key: string): Job[] {
    let jobs = map.get(key);
    if (!jobs) map.set(key, (jobs = []));
    return jobs;
  }

  queued(key: string): void {
    const j = job(key);
    this.queues.push(j);
    this.list(this.waitingOf, key).push(j);
  }

  started(key: string): void {
    const j = this.list(this.waitingOf, key).shift()!;
    this.queues.start(j);
    this.list(this.runningOf, key).push(j);
  }

  dropped(key: string): void {
    const taken = this.queues.takeBack(key, 1);
    const waiting = this.list(this.waitingOf, key);
    waiting.splice(waiting.indexOf(taken[0]!), 1);
  }

  finished(key: string, outcome: AttemptOutcome, startedAt: number): number | undefined {
    const j = this.list(this.runningOf, key).pop()!;
    j.startedAt = startedAt;
    return this.queues.finished(j, outcome);
  }

  putBack(key: string): void {
    this.queues.touch(key);
  }

  now = () => this.queues.now();
  canStart = (key: string) => this.queues.canStart(key);
  admits = (key: string) => this.queues.admits(key);
  suspect = (key: string, startedAt: number) => this.queues.suspect(key, startedAt);
  excessQueued = (key: string) => this.queues.excessQueued(key);
  restrictedWaiting = () => this.queues.restrictedWaiting();
  deferMs = (key: string, random?: () => number) => this.queues.deferMs(key, random);
  forgetIdle = () => this.queues.forgetIdle();
  get limited() {
    return this.queues.limited;
  }
  get restricted() {
    return this.queues.restricted;
  }
  get tracked() {
    return this.queues.tracked;
  }
}

/** Queues on a clock the test moves. */
function withClock(max: number, timeoutMs = TIMEOUT) {
  let now = 1_000_000;
  const limits = new Limits(max, timeoutMs, () => now);
  return { limits, advance: (ms: number) => (now += ms), now: () => now };
}

/** Queues and starts `n` jobs for `key`. */
function start(limits: Limits, key: string, n: number): void {
  for (let i = 0; i < n; i++) {
    limits.queued(key);
    limits.started(key);
  }
}

/** A target that has answered enough to hold every slot, with `inFlight` attempts running. */
function warm(limits: Limits, key: string, inFlight: number, max: number): void {
  start(limits, key, inFlight + 1);
  for (let slots = INITIAL_SLOTS; slots < max; slots *= 2) {
    limits.finished(key, answered(200), limits.now());
    start(limits, key, 1);
  }
  limits.finished(key, answered(200), limits.now());
}

describe("an endpoint's share of the slots", () => {
  test("a new target starts with a few slots and doubles them per answer; its state is dropped after a minute idle", () => {
    const { limits, advance } = withClock(64);
    start(limits, "a", INITIAL_SLOTS);
    expect(limits.canStart("a")).toBe(false); // 4 of 64 until something answers
    expect(limits.limited).toBe(1);
    const reported = [4, 8, 16, 32].map(() => (start(limits, "a", 1), limits.finished("a", answered(204), limits.now())));
    expect(reported).toEqual([undefined, undefined, undefined, undefined]); // ramping up is not news
    expect(limits.canStart("a")).toBe(true);
    for (let i = 0; i < INITIAL_SLOTS; i++) limits.finished("a", answered(500), limits.now());
    expect(limits.limited).toBe(0); // 64: the fast path again
    expect(limits.restricted).toBe(0);
    // Kept across a short gap (its share and answer time survive between bursts)…
    advance(IDLE_FORGET_MS - 10_000);
    limits.forgetIdle();
    expect(limits.tracked).toBe(1);
    // …and dropped after a minute with nothing under way (idle targets are looked for every few seconds).
    advance(10_000);
    limits.forgetIdle();
    expect(limits.tracked).toBe(0);
  });

  test("hanging halves the share down to one slot and restricts the target; fast failures change nothing", () => {
    const { limits } = withClock(8);
    warm(limits, "a", 8, 8);
    expect(limits.finished("a", refused, limits.now())).toBeUndefined();
    expect([4, 2, 1].map(() => limits.finished("a", hung, limits.now()))).toEqual([4, 2, 1]);
    expect(limits.finished("a", hung, limits.now())).toBeUndefined(); // already at one
    expect(limits.restricted).toBe(1);
    // Three still in flight: over its share of one, so nothing more starts.
    expect(limits.canStart("a")).toBe(false);
    // Another target is not affected.
    expect(limits.canStart("b")).toBe(true);
    expect(limits.admits("b")).toBe(true);
  });

  test("rows beyond a restricted target's queue are put back; answers double its share back to the whole", () => {
    const { limits } = withClock(8);
    warm(limits, "a", 3, 8);
    [hung, hung, hung].forEach((o) => limits.finished("a", o, limits.now())); // 4, 2, 1; nothing in flight
    expect(limits.admits("a")).toBe(true);
    limits.queued("a");
    expect(limits.admits("a")).toBe(false); // one queued fills a share of one
    limits.started("a");
    expect(limits.finished("a", answered(200), limits.now())).toBeUndefined(); // 2 of 8: not reported
    start(limits, "a", 2);
    expect(limits.canStart("a")).toBe(false);
    expect(limits.finished("a", answered(500), limits.now())).toBeUndefined(); // 4 of 8
    expect(limits.finished("a", answered(404), limits.now())).toBe(8); // back to the whole share: reported
    expect(limits.restricted).toBe(0);
    expect(limits.limited).toBe(0);
  });

  test("restricted targets together hold at most half the slots and half the queue", () => {
    const { limits } = withClock(4);
    for (const key of ["a", "b", "c"]) {
      start(limits, key, 1);
      expect(limits.finished(key, hung, limits.now())).toBe(2); // each restricted to two slots
    }
    expect(limits.restricted).toBe(3);
    start(limits, "a", 1);
    start(limits, "b", 1);
    expect(limits.canStart("c")).toBe(false); // two restricted slots in use: the group's half
    expect(limits.canStart("d")).toBe(true); // a target that is not restricted is not held back
    limits.queued("c");
    limits.queued("a");
    expect(limits.admits("b")).toBe(false); // two restricted jobs queued: the group's half
    expect(limits.admits("d")).toBe(true);
    expect(limits.restrictedWaiting()).toBe(2);
    // A target that becomes restricted with a queue gives back what the group has no room for.
    for (let i = 0; i < 3; i++) limits.queued("e");
    start(limits, "e", 1);
    expect(limits.finished("e", hung, limits.now())).toBe(2);
    expect(limits.excessQueued("e")).toBe(3);
    for (let i = 0; i < 3; i++) limits.dropped("e");
    expect(limits.restrictedWaiting()).toBe(2);
  });

  test("a request with no answer from its target since it started: restricted before any timeout", () => {
    const { limits, advance } = withClock(64, 15_000);
    expect(suspectAfterMs(15_000)).toBe(1000);
    expect(suspectAfterMs(400)).toBe(200);
    // Never answered yet: it may just be slow, so it gets FIRST_ANSWER_PATIENCE_MS.
    const startedAt = limits.now();
    start(limits, "new", INITIAL_SLOTS);
    advance(FIRST_ANSWER_PATIENCE_MS - 1);
    expect(limits.suspect("new", startedAt)).toBeUndefined(); // not yet
    advance(1);
    expect(limits.suspect("new", startedAt)).toBe(2); // half of what it holds
    expect(limits.restricted).toBe(1);
    expect(limits.suspect("new", startedAt)).toBeUndefined(); // once
    // A busy target that answered after the request started is not suspected…
    warm(limits, "busy", 40, 64);
    const early = limits.now() - 1;
    advance(5_000);
    expect(limits.suspect("busy", early)).toBeUndefined();
    // …but one silent since it started is: half of what it holds.
    const silent = limits.now();
    advance(1000);
    expect(limits.suspect("busy", silent)).toBe(20);
    // Nothing to share with one slot.
    const single = new Limits(1, 15_000, limits.now);
    start(single, "x", 1);
    advance(5_000);
    expect(single.suspect("x", 0)).toBeUndefined();
    expect(single.finished("x", hung, 0)).toBeUndefined();
    expect(single.restricted).toBe(0);
  });

  test("a slow but answering endpoint is given three times its usual answer time before it is suspected", () => {
    const { limits, advance } = withClock(16, 15_000);
    // It answers in 1.5 s.
    for (let round = 0; round < 3; round++) {
      const startedAt = limits.now();
      start(limits, "slow", 4);
      advance(1500);
      for (let i = 0; i < 4; i++) limits.finished("slow", answered(200), startedAt);
    }
    expect(limits.restricted).toBe(0);
    const startedAt = limits.now();
    start(limits, "slow", 16);
    advance(4000);
    expect(limits.suspect("slow", startedAt)).toBeUndefined(); // 4 s: slow, not hanging
    advance(500);
    expect(limits.suspect("slow", startedAt)).toBe(8); // 4.5 s with no answer at all: hanging
    // Never longer than half the timeout.
    const { limits: sluggish, advance: later } = withClock(16, 15_000);
    const first = sluggish.now();
    start(sluggish, "s", 1);
    later(9_000);
    sluggish.finished("s", answered(200), first); // one 9 s answer
    const next = sluggish.now();
    start(sluggish, "s", 2);
    later(7_500);
    expect(sluggish.suspect("s", next)).toBe(1);
  });

  test("a target restricted on suspicion alone that then answers was slow, not hanging: its share comes back at once", () => {
    const { limits, advance } = withClock(64, 15_000);
    warm(limits, "a", 32, 64);
    const startedAt = limits.now();
    start(limits, "a", 8);
    advance(1000);
    expect(limits.suspect("a", startedAt)).toBe(20); // half of the 40 it holds
    expect(limits.restricted).toBe(1);
    advance(500);
    expect(limits.finished("a", answered(200), startedAt)).toBe(64); // reported: back to the whole share
    expect(limits.restricted).toBe(0);
    expect(limits.canStart("a")).toBe(true);
    // Proven hanging (a slow failure) after a suspicion: no such shortcut.
    const later = limits.now();
    advance(1000);
    expect(limits.suspect("a", later)).toBe(19);
    advance(14_000);
    limits.finished("a", { ...hung, durationMs: 15_000 }, later);
    limits.finished("a", answered(200), later);
    expect(limits.restricted).toBe(1);
  });

  test("an answer that took half the timeout or more does not grow the share", () => {
    const { limits, advance } = withClock(64, 10_000);
    const startedAt = limits.now();
    start(limits, "a", 2);
    advance(5_000);
    limits.finished("a", answered(504), startedAt);
    start(limits, "a", 3);
    expect(limits.canStart("a")).toBe(false); // still the first 4
    advance(10);
    limits.finished("a", answered(200), limits.now() - 10); // a quick one doubles it
    expect(limits.canStart("a")).toBe(true);
  });

  test("idle targets are looked for in slices, so a long map never stalls the loop", () => {
    const { limits, advance } = withClock(64);
    for (let i = 0; i < 2_500; i++) {
      start(limits, `t${i}`, 1);
      limits.finished(`t${i}`, answered(200), limits.now());
    }
    advance(IDLE_FORGET_MS);
    limits.forgetIdle();
    expect(limits.tracked).toBe(1_500);
    limits.forgetIdle();
    limits.forgetIdle();
    expect(limits.tracked).toBe(0);
    expect(limits.limited).toBe(0);
  });

  test("a restricted target idle for RESTRICTED_FORGET_MS is forgotten (a deleted webhook); one in use is kept", () => {
    const { limits, advance } = withClock(4);
    start(limits, "gone", 1);
    limits.finished("gone", hung, limits.now());
    start(limits, "busy", 2);
    limits.finished("busy", hung, limits.now());
    start(limits, "parked", 2);
    limits.finished("parked", hung, limits.now());
    limits.finished("parked", hung, limits.now()); // one slot
    expect(limits.restricted).toBe(3);
    advance(IDLE_FORGET_MS);
    limits.forgetIdle();
    expect(limits.restricted).toBe(3); // restricted ones outlive the idle minute
    // Its rows keep coming back and going back (a hanging endpoint with its backlog in the database).
    advance(RESTRICTED_FORGET_MS - IDLE_FORGET_MS - 1);
    limits.putBack("parked");
    advance(1);
    limits.forgetIdle();
    expect(limits.restricted).toBe(2); // "busy" has an attempt in flight, "parked" was just used
    expect(limits.tracked).toBe(2);
    expect(limits.admits("gone")).toBe(true);
    expect(limits.admits("parked")).toBe(true); // restricted, but nothing queued yet
    limits.queued("parked");
    expect(limits.admits("parked")).toBe(false);
  });

  test("the delay doubles with each round of hangs in a row (attempts that hung together count once), is capped, jittered ±20 %, and resets on an answer", () => {
    const { limits, advance } = withClock(4);
    const mid = () => 0.5;
    expect(limits.deferMs("a", mid)).toBe(TIMEOUT);
    // Four attempts started together all time out: one round.
    const firstRound = limits.now();
    start(limits, "a", 4);
    advance(TIMEOUT);
    for (let i = 0; i < 4; i++) limits.finished("a", hung, firstRound);
    expect(limits.deferMs("a", mid)).toBe(TIMEOUT);
    // Each later probe that starts after the last failure and hangs is another round.
    const probe = () => {
      advance(1);
      const started = limits.now();
      start(limits, "a", 1);
      advance(TIMEOUT);
      limits.finished("a", hung, started);
    };
    probe();
    expect(limits.deferMs("a", mid)).toBe(2 * TIMEOUT);
    probe();
    expect(limits.deferMs("a", mid)).toBe(4 * TIMEOUT);
    expect(limits.deferMs("a", () => 0)).toBe(0.8 * 4 * TIMEOUT);
    expect(limits.deferMs("a", () => 1)).toBe(1.2 * 4 * TIMEOUT);
    for (let i = 0; i < 40; i++) probe();
    expect(limits.deferMs("a", mid)).toBe(MAX_DEFER_MS);
    start(limits, "a", 1);
    limits.finished("a", answered(500), limits.now());
    expect(limits.deferMs("a", mid)).toBe(TIMEOUT);
  });

  test("a queued job dropped at shutdown frees its place", () => {
    const { limits } = withClock(2);
    start(limits, "a", 2);
    limits.finished("a", hung, limits.now());
    limits.queued("a");
    expect(limits.admits("a")).toBe(false);
    limits.dropped("a");
    expect(limits.admits("a")).toBe(true);
  });
});

describe("waiting jobs", () => {
  test("start in the order they were claimed, skipping endpoints at their share, up to what may run", () => {
    const { limits } = withClock(64);
    const q = limits.queues;
    const a = [job("a"), job("a"), job("a"), job("a"), job("a")];
    const b = job("b");
    for (const j of a) q.push(j);
    q.push(b);
    expect(q.waiting).toBe(6);
    // "a" starts with INITIAL_SLOTS: its fifth job waits, and "b", claimed after it, goes first.
    expect([q.take(), q.take(), q.take(), q.take(), q.take()]).toEqual([a[0], a[1], a[2], a[3], b]);
    expect(q.take()).toBeUndefined();
    expect(q.inFlight).toBe(5);
    expect(q.waiting).toBe(1);
    // A slot of "a" frees: its last job starts.
    expect(q.finished(a[0]!, answered(200))).toBeUndefined();
    expect(q.take()).toBe(a[4]);
    expect(q.isRunning(a[4]!)).toBe(true);
    expect(q.isRunning(a[0]!)).toBe(false);
  });

  test("with every endpoint at the whole share, the oldest job goes first across many endpoints", () => {
    const { limits } = withClock(1);
    const q = limits.queues;
    const jobs = Array.from({ length: 50 }, (_, i) => job(`t${i % 7}`));
    for (const j of jobs) q.push(j);
    const started: Job[] = [];
    for (let i = 0; i < jobs.length; i++) {
      const j = q.take()!;
      started.push(j);
      q.finished(j, answered(200));
    }
    expect(started).toEqual(jobs);
    expect(q.take()).toBeUndefined();
  });

  test("taken back newest first, first attempts before retries; with firstAttemptsOnly only those", () => {
    const { limits } = withClock(8);
    const q = limits.queues;
    const [r1, f1, r2, f2] = [job("a", true), job("a"), job("a", true), job("a")];
    for (const j of [r1, f1, r2, f2]) q.push(j!);
    expect(q.takeBack("a", 3)).toEqual([f2, f1, r2]);
    expect(q.takeBack("a", 1, true)).toEqual([]);
    expect(q.waiting).toBe(1);
    expect(q.take()).toBe(r1);
  });

  test("taking the oldest back keeps claim order for the rest", () => {
    const { limits } = withClock(1);
    const q = limits.queues;
    const [a1, b1, a2] = [job("a"), job("b"), job("a", true)];
    for (const j of [a1, b1, a2]) q.push(j!);
    expect(q.takeBack("a", 2)).toEqual([a1, a2]);
    expect(q.take()).toBe(b1);
  });

  test("shutdown takes every waiting job, then every running one, and forgets them", () => {
    const { limits } = withClock(4);
    const q = limits.queues;
    const jobs = [job("a"), job("b"), job("a")];
    for (const j of jobs) q.push(j);
    const running = q.take()!;
    expect(q.takeAllWaiting()).toEqual(expect.arrayContaining([jobs[1], jobs[2]]));
    expect(q.waiting).toBe(0);
    expect(q.drain()).toEqual([running]);
    expect(q.inFlight).toBe(0);
    expect(q.isRunning(running)).toBe(false);
    expect(q.take()).toBeUndefined();
  });

  test("a hang suspected on a running attempt is reported once, with the endpoint's new share", () => {
    const { limits, advance } = withClock(64, 15_000);
    const q = limits.queues;
    for (let i = 0; i < 4; i++) q.push(job("slow"));
    while (q.take());
    expect(q.suspectHangs()).toEqual([]);
    advance(FIRST_ANSWER_PATIENCE_MS);
    expect(q.suspectHangs()).toEqual([{ target: "slow", limit: 2 }]);
    expect(q.suspectHangs()).toEqual([]);
  });
});
