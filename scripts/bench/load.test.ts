import { describe, expect, it } from 'vitest';
import { runPool } from './load';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('runPool', () => {
  it('runs every item once with at most `concurrency` calls in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    const result = await runPool([...Array(25).keys()], 4, async (item) => {
      peak = Math.max(peak, ++inFlight);
      await tick();
      seen.push(item);
      inFlight--;
    });
    expect(peak).toBe(4);
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(25).keys()]);
    expect(result.latencies).toHaveLength(25);
    expect(result.wallMs).toBeGreaterThan(0);
  });

  it('stops starting calls after the first failure and throws it', async () => {
    let started = 0;
    await expect(
      runPool([...Array(100).keys()], 2, async (item) => {
        started++;
        await tick();
        if (item === 3) throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(started).toBeLessThan(10);
  });

  it('gives up once the deadline has passed', async () => {
    await expect(runPool([1, 2, 3], 1, async () => undefined, Date.now() - 1)).rejects.toThrow(/deadline passed after 0 of 3/);
  });
});
