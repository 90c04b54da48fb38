import { z } from 'zod';

/**
 * Durations as admins write them ("250ms", "1.5s", "2m", "1h": a number and one unit) and as Istio reads
 * them: a protobuf Duration in JSON, decimal seconds with an "s" ("0.250s", "120s"). Kept as written in the
 * overlays annotation, converted when rendered.
 */

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

const durationText = /^(0|[1-9][0-9]{0,5})(\.[0-9]{1,3})?(ms|s|m|h|d)$/;

/** Milliseconds of a duration the schema accepted (NaN for any other text). */
export function durationMs(text: string): number {
  const parts = durationText.exec(text);
  if (!parts) return Number.NaN;
  const [, whole, fraction = '', unit] = parts;
  const ms = Number(`${whole}${fraction}`) * UNIT_MS[unit as Unit];
  // "1.001s" is 1000.9999999999999 in floating point
  return Math.abs(ms - Math.round(ms)) < 1e-6 ? Math.round(ms) : ms;
}

/** The protobuf JSON form Istio's CRDs take: whole milliseconds, as seconds. */
export function istioDuration(text: string): string {
  const ms = durationMs(text);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(3)}s`;
}

export function formatMs(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  return `${ms}ms`;
}

/** A duration from `minMs` to `maxMs`, kept as written; whole milliseconds only. */
export function duration(minMs: number, maxMs: number) {
  return z.string().superRefine((text, ctx) => {
    const ms = durationMs(text);
    if (Number.isNaN(ms)) ctx.addIssue({ code: 'custom', message: 'must be a duration such as "250ms", "2s", "1.5m" or "1h"' });
    else if (!Number.isInteger(ms)) ctx.addIssue({ code: 'custom', message: 'must be a whole number of milliseconds' });
    else if (ms < minMs || ms > maxMs) ctx.addIssue({ code: 'custom', message: `must be from ${formatMs(minMs)} to ${formatMs(maxMs)}` });
  });
}

/** A time to live such as "30m", "2h" or "3d", as milliseconds from `minMs` to `maxMs`. */
export function timeToLive(minMs: number, maxMs: number) {
  return z
    .string()
    .regex(/^[1-9][0-9]{0,4}[mhd]$/, 'must be a duration such as "30m", "2h" or "3d"')
    .transform((ttl) => Number(ttl.slice(0, -1)) * UNIT_MS[ttl.slice(-1) as Unit])
    .refine((ms) => ms >= minMs && ms <= maxMs, `must be from ${formatMs(minMs)} to ${formatMs(maxMs)}`);
}

export const MINUTE_MS = UNIT_MS.m;
export const HOUR_MS = UNIT_MS.h;
export const DAY_MS = UNIT_MS.d;
