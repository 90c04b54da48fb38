import { describe, expect, it } from 'vitest';
import { formatShare } from './share';

describe('formatShare', () => {
  it('rounds down, so that anything short of all never reads as 100%', () => {
    expect(formatShare(1)).toBe('100.0%');
    expect(formatShare(0.99996)).toBe('99.9%');
    expect(formatShare(0.8336)).toBe('83.3%');
    expect(formatShare(0)).toBe('0.0%');
  });

  it('reads an exact ratio computed in floating point as exact', () => {
    // 0.3 mTLS requests/s out of 0.4 is 75%, but in floating point just below it
    expect(0.3 / 0.4).toBeLessThan(0.75);
    expect(formatShare(0.3 / 0.4)).toBe('75.0%');
  });
});
