import { describe, expect, it } from 'vitest';
import { formatTable, percentile } from './stats';

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const samples = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(samples, 50)).toBe(5);
    expect(percentile(samples, 99)).toBe(10);
    expect(percentile(samples, 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('formatTable', () => {
  it('pads columns and right-aligns numbers', () => {
    expect(formatTable([{ op: 'create', p50: 1.5 }, { op: 'delete', p50: 12 }])).toBe(
      ['op       p50', '------  ----', 'create  1.50', 'delete    12'].join('\n'),
    );
  });
});
