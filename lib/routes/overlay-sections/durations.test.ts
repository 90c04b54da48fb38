import { describe, expect, it } from 'vitest';
import { duration, durationMs, formatMs, istioDuration, timeToLive } from './durations';

describe('durations', () => {
  it('reads a number and one unit, and writes it as the seconds Istio reads', () => {
    expect(['250ms', '2s', '1.5s', '2m', '1h', '0.001s', '1.001s'].map((d) => [durationMs(d), istioDuration(d)])).toEqual([
      [250, '0.250s'],
      [2000, '2s'],
      [1500, '1.500s'],
      [120_000, '120s'],
      [3_600_000, '3600s'],
      [1, '0.001s'],
      [1001, '1.001s'],
    ]);
  });

  it('refuses other forms, sub-millisecond values and values out of range, saying the range', () => {
    const schema = duration(1, 60_000);
    expect(['1m', '30s', '1ms'].map((d) => schema.safeParse(d).success)).toEqual([true, true, true]);
    const message = (d: string) => schema.safeParse(d).error?.issues[0]?.message;
    expect(message('1m30s')).toBe('must be a duration such as "250ms", "2s", "1.5m" or "1h"');
    expect(message('0.5ms')).toBe('must be a whole number of milliseconds');
    expect(message('2m')).toBe('must be from 1ms to 1m');
    expect(message('0s')).toBe('must be from 1ms to 1m');
  });

  it('formats milliseconds in the largest whole unit', () => {
    expect([1, 1000, 90_000, 3_600_000, 86_400_000].map(formatMs)).toEqual(['1ms', '1s', '90s', '1h', '1d']);
  });

  it('reads a time to live as milliseconds within its bounds', () => {
    const ttl = timeToLive(60_000, 86_400_000);
    expect(ttl.parse('30m')).toBe(1_800_000);
    expect(ttl.safeParse('2d').error?.issues[0]?.message).toBe('must be from 1m to 1d');
    expect(ttl.safeParse('30s').error?.issues[0]?.message).toBe('must be a duration such as "30m", "2h" or "3d"');
  });
});
