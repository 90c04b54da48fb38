import { describe, expect, it } from 'vitest';
import { alignedData, isolatedPoints, sparkline, timeChart } from './options';
import { shareSummary } from './share-summary';

type P = { time: number; a: number | null; b: number };

describe('alignedData', () => {
  it('puts the times first and one column per line, keeping nulls as gaps', () => {
    const points: P[] = [
      { time: 10, a: 1, b: 5 },
      { time: 20, a: null, b: 6 },
    ];
    const data = alignedData(points, [
      { label: 'a', color: 'red', value: (p) => p.a },
      { label: 'b', color: 'blue', value: (p) => p.b * 2 },
    ]);
    expect(data).toEqual([
      [10, 20],
      [1, null],
      [10, 12],
    ]);
  });
});

describe('isolatedPoints', () => {
  it('finds the values no line segment reaches', () => {
    expect(isolatedPoints([null, 1, null, 2, 3, null, 4])).toEqual([1, 6]);
    expect(isolatedPoints([5])).toEqual([0]);
    expect(isolatedPoints([1, 2])).toEqual([]);
  });
});

describe('chart options', () => {
  const theme = { text: 'rgb(1, 2, 3)', grid: 'rgba(1, 2, 3, 0.15)' };

  it('draws a points-only line without a path and formats the legend and the axis', () => {
    const options = timeChart<P>({ height: 100, lines: [{ label: 'a', color: 'red', value: (p) => p.a, pointsOnly: true }], format: (v) => `${v}%` })(300, theme);
    expect(options.width).toBe(300);
    const series = options.series[1]!;
    expect(typeof series.paths).toBe('function');
    expect(series.points?.show).toBe(true);
    expect((series.value as (u: unknown, v: number | null) => string)(undefined, 5)).toBe('5%');
    expect((series.value as (u: unknown, v: number | null) => string)(undefined, null)).toBe('—');
    expect(options.axes![0]!.stroke).toBe(theme.text);
  });

  it('starts the value axis at zero, with room above the highest value', () => {
    const range = timeChart<P>({ height: 100, lines: [], format: String })(300, theme).scales!.y!.range as (u: unknown, min: number, max: number) => [number, number];
    expect(range(undefined, 3, 10)).toEqual([0, 11]);
    expect(range(undefined, 0, 0)).toEqual([0, 1]);
  });

  it('keeps a sparkline bare', () => {
    const options = sparkline({ height: 20, color: 'red' })(80, theme);
    expect(options.axes!.every((a) => a.show === false)).toBe(true);
    expect(options.legend!.show).toBe(false);
  });
});

describe('shareSummary', () => {
  it('names the lowest share and whether it misses the goal', () => {
    expect(shareSummary([{ time: 1, share: 1, requestsPerSecond: 2 }, { time: 2, share: 0.9751, requestsPerSecond: 2 }])).toEqual({ text: 'lowest 97.5%', belowGoal: true });
    expect(shareSummary([{ time: 1, share: 1, requestsPerSecond: 2 }])).toEqual({ text: 'lowest 100.0%', belowGoal: false });
  });

  it('says when there were no requests', () => {
    expect(shareSummary([{ time: 1, share: null, requestsPerSecond: 0 }, { time: 2, share: null, requestsPerSecond: null }])).toEqual({ text: 'no requests in this span', belowGoal: false });
  });
});
