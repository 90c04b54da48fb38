/**
 * A share (0..1) as a percent with one decimal, rounded down so that 99.96% never reads as 100%, but
 * tolerant of floating-point error: a ratio that is 3/4 up to the last bit reads 75.0%, not 74.9%.
 */
export function formatShare(share: number): string {
  return `${(Math.floor(share * 1000 + 1e-6) / 10).toFixed(1)}%`;
}
