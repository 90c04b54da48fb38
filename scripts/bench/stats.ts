/** Nearest-rank percentile of samples (ms); p in 0..100. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** The middle of the samples; the mean of the two middle ones for an even count. */
export function median(samples: number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export type Row = Record<string, string | number>;

/** A plain-text table, columns padded to their widest cell, numbers right-aligned. */
export function formatTable(rows: Row[]): string {
  if (rows.length === 0) return '(no rows)';
  const columns = Object.keys(rows[0]!);
  const cell = (v: string | number | undefined) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : (v ?? ''));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[], numeric: boolean[]) =>
    values.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  const numeric = columns.map((c) => typeof rows[0]![c] === 'number');
  return [line(columns, numeric), line(widths.map((w) => '-'.repeat(w)), numeric), ...rows.map((r) => line(columns.map((c) => cell(r[c])), numeric))].join('\n');
}

/** A comma-separated list of positive whole numbers from the environment variable `name`, or `fallback` when unset. */
export function intList(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const values = raw.split(',').map((s) => Number(s.trim()));
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new Error(`bench: ${name} must be a comma-separated list of positive whole numbers, got ${JSON.stringify(raw)}`);
  }
  return values;
}

/** One positive whole number from the environment variable `name`, or `fallback` when unset. */
export const intOf = (name: string, fallback: number) => intList(name, [fallback])[0]!;

/**
 * ms per call of each measure: `warmup` unrecorded rounds, then `runs` recorded ones. Each round starts at the
 * next measure, so each pays for the garbage of every other one alike. A synchronous run is timed without an await.
 */
export async function rotatedSamples(measures: ReadonlyArray<{ run: () => unknown }>, runs: number, warmup = 3): Promise<number[][]> {
  const samples = measures.map(() => [] as number[]);
  for (let round = -warmup; round < runs; round++) {
    for (let j = 0; j < measures.length; j++) {
      const i = (round + warmup + j) % measures.length;
      const t0 = performance.now();
      const result = measures[i]!.run();
      if (result instanceof Promise) await result;
      const ms = performance.now() - t0;
      if (round >= 0) samples[i]!.push(ms);
    }
  }
  return samples;
}
