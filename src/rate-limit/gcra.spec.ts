import { gcra, gcraDecision, gcraStep, toThrottlerRecord } from './gcra';

/** Replays requests at the given instants (ms) against one bucket; answers which were admitted. */
function replay(instants: number[], burst: number, periodMs: number): boolean[] {
  let tat: number | undefined;
  return instants.map((now) => {
    const step = gcraStep(tat, now, burst, periodMs);
    tat = step.tat;
    return step.admitted;
  });
}

describe('gcra', () => {
  // The free tier of the contract: 2 requests per second with a burst of 5 (period 2.5 s).
  const burst = 5;
  const periodMs = 2500;

  it('should admit a full burst at once and refuse the next request', () => {
    expect(replay([0, 0, 0, 0, 0, 0], burst, periodMs)).toEqual([true, true, true, true, true, false]);
  });

  it('should count down the remaining tokens of a fresh bucket', () => {
    let tat: number | undefined;
    const remaining = [0, 0, 0].map(() => {
      const decision = gcra(tat, 1000, burst, periodMs);
      tat = decision.tat;
      return decision.remaining;
    });
    expect(remaining).toEqual([4, 3, 2]);
  });

  it('should tell a refused client to wait exactly for the next token', () => {
    let tat: number | undefined;
    for (let i = 0; i < burst; i++) {
      tat = gcra(tat, 0, burst, periodMs).tat;
    }
    const refused = gcra(tat, 100, burst, periodMs);
    expect(refused.admitted).toBe(false);
    expect(refused.retryAfterMs).toBeCloseTo(400, 6);
    expect(gcra(refused.tat, 499, burst, periodMs).admitted).toBe(false);
    expect(gcra(refused.tat, 500, burst, periodMs).admitted).toBe(true);
  });

  it('should sustain exactly the rate once the burst is spent', () => {
    // Hammering every 10 ms for 10 s: the burst plus 2 per second, never more.
    const instants = Array.from({ length: 1000 }, (_, i) => i * 10);
    const admitted = replay(instants, burst, periodMs).filter(Boolean).length;
    expect(admitted).toBe(burst + 2 * 10 - 1);
  });

  it('should never admit more than burst + rate × t in any interval, unlike a fixed window', () => {
    const instants = Array.from({ length: 1000 }, (_, i) => i * 10);
    const admittedAt = instants.filter((_, i) => replay(instants, burst, periodMs)[i]);
    for (let start = 0; start < 10_000; start += 10) {
      const inSecond = admittedAt.filter((t) => t >= start && t < start + 1000).length;
      expect(inSecond).toBeLessThanOrEqual(burst + 2);
    }
  });

  it('should refill the whole bucket after one period of silence', () => {
    const instants = [0, 0, 0, 0, 0, 2500, 2500, 2500, 2500, 2500, 2500];
    expect(replay(instants, burst, periodMs)).toEqual([...Array(10).fill(true), false]);
  });

  it('should keep whole tokens with a fractional emission interval', () => {
    // 3 r/s burst 1: one request every 333.33 ms, computed the way a client's timer would.
    const instants = Array.from({ length: 7 }, (_, i) => (i * 1000) / 3);
    expect(replay(instants, 1, 1000 / 3)).toEqual(Array(7).fill(true));
    expect(replay([0, 333], 1, 1000 / 3)).toEqual([true, false]);
  });

  it('should report a full bucket with no pending token as 0 seconds to the next token', () => {
    const decision = gcraDecision(true, 1000, 1000, burst, periodMs);
    expect(decision.remaining).toBe(burst);
    expect(decision.nextTokenMs).toBe(0);
  });

  describe(toThrottlerRecord.name, () => {
    it('should express tokens in use as hits and round waits up to whole seconds', () => {
      const admitted = toThrottlerRecord(
        { admitted: true, remaining: 3, retryAfterMs: 0, nextTokenMs: 200 },
        burst,
      );
      expect(admitted).toEqual({ totalHits: 2, timeToExpire: 1, isBlocked: false, timeToBlockExpire: 0 });
      const refused = toThrottlerRecord(
        { admitted: false, remaining: 0, retryAfterMs: 1, nextTokenMs: 1 },
        burst,
      );
      expect(refused).toEqual({ totalHits: 5, timeToExpire: 1, isBlocked: true, timeToBlockExpire: 1 });
    });

    it('should never ask a refused client to wait less than 1 second', () => {
      const refused = toThrottlerRecord(
        { admitted: false, remaining: 0, retryAfterMs: 0, nextTokenMs: 0 },
        burst,
      );
      expect(refused.timeToBlockExpire).toBe(1);
    });
  });
});
