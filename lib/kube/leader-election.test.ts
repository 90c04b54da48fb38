import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMINGS, leaseExpired, mayTakeLease, nextLeaseSpec, recordOf, releasedLeaseSpec, sameRecord, soleLeadership, validateTimings } from './leader-election';
import { microTime } from './leases';

const held = recordOf({
  metadata: { name: 'l' },
  spec: { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: '2026-11-24T10:00:00.000000Z', renewTime: '2026-11-24T10:00:30.000000Z', leaseTransitions: 4 },
});

describe('leader election timings', () => {
  it("accepts client-go's defaults and the short ones the integration tests use", () => {
    expect(() => validateTimings(DEFAULT_TIMINGS)).not.toThrow();
    expect(() => validateTimings({ leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 })).not.toThrow();
  });

  it('refuses timings that would let a follower take over before the leader stops', () => {
    expect(() => validateTimings({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 })).toThrow(/greater than renewDeadline/);
    expect(() => validateTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 2400, retryPeriodMs: 2000 })).toThrow(/retryPeriod × 1.2/);
    expect(() => validateTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 0 })).toThrow(/retryPeriod/);
  });

  it('wants whole seconds, since the Lease stores leaseDurationSeconds', () => {
    expect(() => validateTimings({ leaseDurationMs: 2500, renewDeadlineMs: 2000, retryPeriodMs: 500 })).toThrow(/whole number of seconds/);
  });
});

describe('who may take the lease', () => {
  it('anyone, at once, when nobody holds it (a released lease)', () => {
    const released = recordOf({ metadata: { name: 'l' }, spec: releasedLeaseSpec(held, new Date()) });
    expect(mayTakeLease(released, 1000, 1000, 'b')).toBe(true);
  });

  it('its holder, always', () => {
    expect(mayTakeLease(held, 1000, 1001, 'a')).toBe(true);
  });

  it("another candidate only once leaseDurationSeconds have passed on its own clock since it saw the record change", () => {
    expect(mayTakeLease(held, 1000, 15_999, 'b')).toBe(false);
    expect(leaseExpired(held, 1000, 15_999)).toBe(false);
    expect(mayTakeLease(held, 1000, 16_000, 'b')).toBe(true);
  });
});

describe('what a candidate writes', () => {
  const now = new Date('2026-11-24T10:01:00.123Z');

  it('creates a lease with no transitions', () => {
    expect(nextLeaseSpec(undefined, 'a', 15, now)).toEqual({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: '2026-11-24T10:01:00.123000Z',
      renewTime: '2026-11-24T10:01:00.123000Z',
      leaseTransitions: 0,
    });
  });

  it('renews: keeps acquireTime and the count, moves renewTime', () => {
    expect(nextLeaseSpec(held, 'a', 15, now)).toEqual({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: held.acquireTime,
      renewTime: '2026-11-24T10:01:00.123000Z',
      leaseTransitions: 4,
    });
  });

  it('takes over: counts one transition and acquires now', () => {
    expect(nextLeaseSpec(held, 'b', 15, now)).toMatchObject({ holderIdentity: 'b', acquireTime: '2026-11-24T10:01:00.123000Z', leaseTransitions: 5 });
  });

  it('releases: no holder, one second, the count kept', () => {
    const released = releasedLeaseSpec(held, now);
    expect(released).toEqual({ leaseDurationSeconds: 1, acquireTime: '2026-11-24T10:01:00.123000Z', renewTime: '2026-11-24T10:01:00.123000Z', leaseTransitions: 4 });
    expect(recordOf({ metadata: { name: 'l' }, spec: released }).holderIdentity).toBe('');
  });

  it('sees any renewal as a change of the record', () => {
    expect(sameRecord(held, { ...held })).toBe(true);
    expect(sameRecord(held, recordOf({ metadata: { name: 'l' }, spec: nextLeaseSpec(held, 'a', 15, now) }))).toBe(false);
  });
});

describe('microTime', () => {
  it('writes RFC 3339 with six fractional digits, as metav1.MicroTime', () => {
    expect(microTime(new Date('2026-01-02T03:04:05.006Z'))).toBe('2026-01-02T03:04:05.006000Z');
  });
});

describe('sole leadership (local mode)', () => {
  it('leads from start() until stop(), and stop() settles only once the work is idle', async () => {
    const signals: AbortSignal[] = [];
    let finishWork = () => {};
    const work = { lead: (signal: AbortSignal) => void signals.push(signal), idle: () => new Promise<void>((resolve) => (finishWork = resolve)) };
    const leadership = soleLeadership(work);
    leadership.start();
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(false);

    let stopped = false;
    const stopping = leadership.stop().then(() => (stopped = true));
    expect(signals[0]!.aborted).toBe(true);
    await Promise.resolve();
    expect(stopped).toBe(false);
    finishWork();
    await stopping;
    expect(stopped).toBe(true);
  });
});
