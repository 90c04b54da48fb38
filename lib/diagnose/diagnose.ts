import { hubHop } from './hub-hop';
import { accessHop, mtlsHop } from './policy-hops';
import { routeHop, routingHop } from './route-hops';
import { locateServer } from './server';
import { trafficHop } from './traffic-hop';
import { destinationHop, podHop } from './workload-hops';
import type { DiagnoseInput, Hop, HopContext, ServerObjects, Verdict } from './types';

/** The hops in the order a request meets them. */
const HOPS: ReadonlyArray<(ctx: HopContext) => Hop> = [routeHop, routingHop, destinationHop, podHop, mtlsHop, accessHop, trafficHop, hubHop];

export type Diagnosis = { objects: ServerObjects; hops: Hop[]; verdict: Verdict };

/** failing when a hop fails, warning when one warns, else ok: a hop hubmesh cannot judge (unknown) decides nothing. */
export function verdictOf(hops: readonly Hop[]): Verdict {
  if (hops.some((h) => h.status === 'fail')) return 'failing';
  return hops.some((h) => h.status === 'warn') ? 'warning' : 'ok';
}

/** Every hop of one user server, from one snapshot. Pure. */
export function diagnose(input: DiagnoseInput, objects: ServerObjects = locateServer(input.snapshot, input.user, input.server)): Diagnosis {
  const ctx: HopContext = { ...input, objects };
  const hops = HOPS.map((hop) => hop(ctx));
  return { objects, hops, verdict: verdictOf(hops) };
}
