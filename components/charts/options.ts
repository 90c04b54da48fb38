import type uPlot from 'uplot';
import type { ChartOptions } from './UPlot';

/** A line of a chart: a label, a colour, and which value of a point it draws (null draws a gap). */
export type Line<P> = { label: string; color: string; value: (point: P) => number | null; dash?: number[]; pointsOnly?: boolean };

/** uPlot's column data from points in time order: the times (Unix seconds), then one column per line. */
export function alignedData<P extends { time: number }>(points: readonly P[], lines: ReadonlyArray<Line<P>>): uPlot.AlignedData {
  return [points.map((p) => p.time), ...lines.map((line) => points.map((p) => line.value(p)))];
}

const NO_PATH = () => null;

/** The indices of values with no value on either side: no line segment reaches them. */
export function isolatedPoints(values: ArrayLike<number | null | undefined>): number[] {
  const present = (i: number) => values[i] !== null && values[i] !== undefined;
  const isolated: number[] = [];
  for (let i = 0; i < values.length; i++) if (present(i) && !present(i - 1) && !present(i + 1)) isolated.push(i);
  return isolated;
}

function seriesOf<P>(line: Line<P>, format: (value: number) => string): uPlot.Series {
  return {
    label: line.label,
    stroke: line.color,
    width: line.pointsOnly ? 0 : 2,
    dash: line.dash,
    spanGaps: false,
    value: (_u, value) => (value === null || value === undefined ? '—' : format(value)),
    // a line draws only between neighbours: a value between two gaps (a series that has just begun) is a dot
    points: line.pointsOnly ? { show: true, size: 5, fill: line.color, stroke: line.color } : { show: true, size: 5, fill: line.color, filter: (u: uPlot, seriesIdx: number) => isolatedPoints(u.data[seriesIdx]!) },
    ...(line.pointsOnly ? { paths: NO_PATH } : {}),
  };
}

/**
 * A time chart: time on x, one value axis formatted by `format`, a legend that follows the cursor. `range`
 * fixes the value axis (e.g. 0..100 for a share); else it starts at zero and fits the data.
 */
export function timeChart<P>(spec: { height: number; lines: ReadonlyArray<Line<P>>; format: (value: number) => string; range?: [number, number] }): ChartOptions {
  return (width, theme) => ({
    width,
    height: spec.height,
    series: [{}, ...spec.lines.map((line) => seriesOf(line, spec.format))],
    scales: { x: { time: true }, y: spec.range ? { range: spec.range } : { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      { stroke: theme.text, grid: { stroke: theme.grid }, ticks: { stroke: theme.grid } },
      { stroke: theme.text, grid: { stroke: theme.grid }, ticks: { stroke: theme.grid }, size: 64, values: (_u, values) => values.map(spec.format) },
    ],
    legend: { show: true, live: true },
    cursor: { drag: { x: false, y: false } },
  });
}

/** A sparkline: one line, no axes, no legend, no cursor; the value axis starts at zero. */
export function sparkline(spec: { height: number; color: string }): ChartOptions {
  return (width) => ({
    width,
    height: spec.height,
    pxAlign: false,
    series: [{}, { stroke: spec.color, width: 1.5, spanGaps: false, points: { show: false } }],
    scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, max > 0 ? max : 1] } },
    axes: [{ show: false }, { show: false }],
    legend: { show: false },
    cursor: { show: false },
  });
}
