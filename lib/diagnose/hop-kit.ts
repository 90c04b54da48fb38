import type { Evidence, Hop, HopStatus, ObjectLink } from './types';

type Named = { metadata: { name: string; namespace?: string } };

/** An object of the evidence, for a link to it. */
export const link = (kind: string, object: Named): ObjectLink => ({ kind, namespace: object.metadata.namespace ?? '', name: object.metadata.name });

/** "<namespace>/<name>", or the name of a cluster-scoped object. */
export const objectName = (object: Named) => (object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : object.metadata.name);

const SEVERITY: Record<HopStatus, number> = { pass: 0, unknown: 1, warn: 2, fail: 3 };

/** The worst of several findings' statuses; pass when there are none. */
export const worstOf = (statuses: readonly HopStatus[]): HopStatus => statuses.reduce<HopStatus>((worst, s) => (SEVERITY[s] > SEVERITY[worst] ? s : worst), 'pass');

/** Something wrong at a hop: how bad, what, and what to change. */
export type Problem = { status: 'fail' | 'warn'; summary: string; fix: string };

/** A hop from its problems: the worst one's status, their summaries and fixes in order; pass with `ok` when there are none. */
export function hopFrom(base: Pick<Hop, 'id' | 'title'>, problems: readonly Problem[], evidence: Evidence[], ok: string): Hop {
  if (problems.length === 0) return { ...base, status: 'pass', summary: ok, evidence };
  return { ...base, status: worstOf(problems.map((p) => p.status)), summary: problems.map((p) => p.summary).join(' '), evidence, fix: problems.map((p) => p.fix).join(' ') };
}

export const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
