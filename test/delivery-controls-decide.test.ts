// The delivery controls' decisions (src/db/delivery-controls.ts) and the loop's claim pacing
// around them (src/delivery/claimer.ts), without a database.
import { describe, expect, test } from "bun:test";
import { decideFifoLine, FIFO_RECHECK_MS, fifoLines, gcra, type ControlledRow } from "../src/db/delivery-controls";
import { Claimer, WakeTimer } from "../src/delivery/claimer";
import { waitFor } from "./helpers/delivery";

const NOW = 1_700_000_000_000;

describe("gcra", () => {
  test("a fresh webhook admits one row at 20 a second; the rest get slots 50 ms apart", () => {
    const { admitted, tatUs, dueAt } = gcra(null, 20, NOW, 4);
    expect(admitted).toBe(1);
    expect(tatUs).toBe((NOW + 50) * 1000);
    expect(dueAt).toEqual([NOW + 50, NOW + 100, NOW + 150]);
  });

  test("nothing before the theoretical arrival time; at it, one more", () => {
    const tat = (NOW + 50) * 1000;
    expect(gcra(tat, 20, NOW + 49, 1).admitted).toBe(0);
    expect(gcra(tat, 20, NOW + 50, 1)).toMatchObject({ admitted: 1, tatUs: (NOW + 100) * 1000 });
  });

  test("an idle webhook does not bank its unused rate", () => {
    expect(gcra((NOW - 60_000) * 1000, 20, NOW, 10).admitted).toBe(1);
  });

  test("at high rates a claim takes a burst of 50 ms' worth, and the limit holds over a second", () => {
    expect(gcra(null, 10_000, NOW, 1000).admitted).toBe(500);
    // Claims every millisecond for a second admit about the rate, plus the one burst.
    let tat: number | null = null;
    let total = 0;
    for (let t = NOW; t < NOW + 1000; t++) {
      const r = gcra(tat, 10_000, t, 1000);
      tat = r.tatUs;
      total += r.admitted;
    }
    expect(total).toBeLessThanOrEqual(10_000 + 500);
    expect(total).toBeGreaterThanOrEqual(10_000);
  });

  test("a slot is never now or earlier: a row put back is due later", () => {
    for (const dueAt of gcra(null, 10_000, NOW, 2000).dueAt) expect(dueAt).toBeGreaterThan(NOW);
  });
});

describe("fifo lines", () => {
  const row = (id: string, seq: number, webhookId: string | null = "w", fifo = true): ControlledRow => ({ id, seq, webhookId, fifo });
  const none = { pendingBefore: null, leasedBefore: null, inFlight: null };

  test("per webhook, in publish order; unordered rows are not in any line", () => {
    const lines = fifoLines([row("c", 3), row("a", 1), row("x", 2, "v"), row("u", 4, "w", false)]);
    expect([...lines.keys()]).toEqual(["w", "v"]);
    expect(lines.get("w")!.map((r) => r.id)).toEqual(["a", "c"]);
  });

  test("an unblocked line keeps its head; the others wait for its lease", () => {
    const putBack = new Map<string, number>();
    expect(decideFifoLine([row("a", 1), row("b", 2)], none, NOW, NOW + 30_000, putBack)).toBe(true);
    expect([...putBack]).toEqual([["b", NOW + 30_000]]);
  });

  test("a blocked line goes back whole, until the latest of what blocks it, never sooner than the recheck", () => {
    const putBack = new Map<string, number>();
    expect(decideFifoLine([row("a", 1), row("b", 2)], { pendingBefore: NOW + 100, leasedBefore: null, inFlight: NOW + 900 }, NOW, NOW + 30_000, putBack)).toBe(false);
    expect([...putBack]).toEqual([["a", NOW + 900], ["b", NOW + 900]]);
    const soon = new Map<string, number>();
    decideFifoLine([row("a", 1)], { pendingBefore: NOW - 5, leasedBefore: null, inFlight: null }, NOW, NOW + 30_000, soon);
    expect(soon.get("a")).toBe(NOW + FIFO_RECHECK_MS);
  });
});

describe("claim pacing", () => {
  test("a claim that gave rows back has not drained what is due", () => {
    const claimer = new Claimer(4, 1000);
    const request = claimer.request(0, NOW)!;
    claimer.claimed(request, 1, request.limit - 1);
    expect(claimer.request(0, NOW)).not.toBeNull();
    claimer.claimed(request, 1, 2);
    expect(claimer.request(0, NOW)).toBeNull();
  });

  test("the wake timer keeps the earliest time, leaves what is past the next poll to the poll, and fires once", async () => {
    let woken = 0;
    const timer = new WakeTimer(1000, () => woken++);
    const now = Date.now();
    timer.wakeAt(now + 5000, now); // the poll comes first
    timer.wakeAt(now + 40, now);
    timer.wakeAt(now + 30, now);
    timer.wakeAt(now + 60, now); // later than the one set: ignored
    await waitFor(() => woken === 1, 2000, "the wake-up");
    await Bun.sleep(100);
    expect(woken).toBe(1);
    timer.wakeAt(Date.now() + 10);
    timer.stop();
    await Bun.sleep(20);
    expect(woken).toBe(1);
  });
});
