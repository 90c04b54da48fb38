import { z } from 'zod';
import { fromPrometheus, podsByRole, type MeshApiDeps } from '../mesh/api';
import { durationSeconds, trafficWindow } from '../mesh/traffic';
import { parseQuery } from '../search-params';
import { hubUserName } from './figures-api';
import { loadTrafficGraph, type GraphPods } from './graph';

/** The longest window the graph reads: rate() over a longer one reads every sample of every series in it, each refresh. */
const MAX_WINDOW_SECONDS = 86400;

export const graphQuery = z.object({
  window: trafficWindow.refine((text) => (durationSeconds(text) ?? 0) <= MAX_WINDOW_SECONDS, 'must be at most 24h').default('5m'),
  user: hubUserName.optional(),
});

export type GraphApiDeps = Pick<MeshApiDeps, 'namespace' | 'config' | 'mesh' | 'pods' | 'prometheus' | 'log' | 'now'>;

function graphPods(deps: GraphApiDeps): GraphPods {
  const byRole = podsByRole(deps);
  return { notebooks: byRole.notebook, hub: byRole.hub, hubmesh: byRole.hubmesh, gateway: deps.mesh?.gatewayPods.list() ?? [] };
}

/**
 * The traffic graph of the hub namespace over `window`, for one user's notebooks when `user` is given: four
 * PromQL queries whatever the number of users, evaluated at one instant (`time`, Unix seconds, in the answer).
 */
export async function trafficGraphAnswer(deps: GraphApiDeps, params: URLSearchParams) {
  const q = parseQuery(graphQuery, params);
  const { namespace, prometheus } = deps;
  if (!prometheus) return { configured: false as const, namespace, window: q.window };
  const pods = graphPods(deps);
  const time = deps.now() / 1000;
  const options = { namespace, gatewayNamespace: deps.config.mesh.gatewayNamespace, window: q.window, user: q.user, time };
  const graph = await fromPrometheus(deps.log, () => loadTrafficGraph(prometheus, pods, options));
  return { configured: true as const, namespace, time, user: q.user ?? null, ...graph };
}
