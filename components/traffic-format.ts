/** The windows the traffic charts offer. */
export const TRAFFIC_WINDOWS = ['5m', '15m', '1h', '6h', '24h'] as const;
export type TrafficWindow = (typeof TRAFFIC_WINDOWS)[number];

const trim = (value: number, digits: number) => (digits === 0 ? value.toFixed(0) : value.toFixed(digits).replace(/\.?0+$/, ''));

/** A rate: three significant digits below 100, whole numbers above, thousands grouped. */
export function perSecond(value: number): string {
  if (value === 0) return '0';
  if (value < 0.01) return '<0.01';
  if (value < 100) return trim(value, value < 1 ? 2 : 1);
  return Math.round(value).toLocaleString('en');
}

/** A value already in percent (0..100); a small share is never rounded to 0%. */
export function percent(value: number): string {
  if (value === 0) return '0%';
  if (value < 0.1) return '<0.1%';
  return `${trim(value, value < 10 ? 1 : 0)}%`;
}

export function milliseconds(value: number): string {
  return value >= 1000 ? `${trim(value / 1000, 2)} s` : `${trim(value, value < 10 ? 1 : 0)} ms`;
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Bytes in SI units (1 kB = 1000 B), as Prometheus and Grafana's "bytes(SI)" show them. */
export function bytes(value: number): string {
  let unit = 0;
  let scaled = value;
  while (scaled >= 1000 && unit < UNITS.length - 1) {
    scaled /= 1000;
    unit += 1;
  }
  return `${trim(scaled, scaled < 10 ? 1 : 0)} ${UNITS[unit]}`;
}
