import type { SharePoint } from '@/lib/mesh/traffic';

/** The share history in words: its lowest point, or that there were no requests; belowGoal when any point is under 100%. */
export function shareSummary(points: readonly SharePoint[]): { text: string; belowGoal: boolean } {
  const shares = points.flatMap((p) => (p.share === null ? [] : [p.share]));
  if (shares.length === 0) return { text: 'no requests in this span', belowGoal: false };
  const lowest = Math.min(...shares);
  return { text: `lowest ${(lowest * 100).toFixed(1)}%`, belowGoal: lowest < 1 };
}
