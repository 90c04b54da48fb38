import { z } from 'zod';
import { ApiError, invalidField, localModeError } from '../api-error';
import { mtlsFromConfig, validationSnapshot, type MeshApiDeps } from '../mesh/api';
import { isolationScene } from '../mesh/isolation-api';
import { splitHostRoute } from '../routes/routespec';
import { parseQuery } from '../search-params';
import { isPrometheusError } from '../telemetry/prometheus';
import { diagnose } from './diagnose';
import { askHubAboutUser, type HubApi } from './hub-api';
import { probeRoute, type ProbeGate, type ProbeResult } from './probe';
import { diagnosisReport } from './report';
import { serverUrlPath } from './route-hops';
import { locateServer, serverWords } from './server';
import { TRAFFIC_WINDOW, trafficQuery, trafficSamples } from './traffic-hop';
import type { HopStatus, HubSettings, HubState, ServerObjects, TrafficState, Verdict } from './types';

/** What the diagnosis and the probe read: the mesh's caches and Prometheus, the hub's API, the gateway. */
export type DiagnoseDeps = {
  mesh: MeshApiDeps;
  /** the hub's REST API; undefined when not configured */
  hub: HubApi | undefined;
  settings: HubSettings;
  /** HUBMESH_GATEWAY_URL: where a probe is sent; undefined when not configured */
  gatewayUrl: string | undefined;
  /** the istio-proxy version sidecars should run (the pods page's) */
  expectedSidecarVersion: () => string | undefined;
  probes: ProbeGate;
};

/** The JSON answer of GET /api/v1/users/<user>/diagnose. */
export type DiagnoseAnswer = {
  user: string;
  server: string;
  /** the server's URL path as the route serves it; null without a route */
  path: string | null;
  verdict: Verdict;
  /** the user's servers that have a route or a pod ('' is the default one) */
  servers: string[];
  hops: Array<{
    id: string;
    title: string;
    status: HopStatus;
    summary: string;
    evidence: Array<{ label: string; value: string; ref?: { kind: string; namespace: string; name: string } }>;
    fix?: string;
  }>;
  /** the same as Markdown, for a support ticket */
  report: string;
  checkedAt: string;
};

const NAME = /^[^/\x00-\x1f\x7f]*$/;
const userName = z.string().min(1, 'must not be empty').max(255, 'must be at most 255 characters').regex(NAME, 'must be a JupyterHub user name: no "/" and no control characters');
export const diagnoseQuery = z.object({
  server: z.string().max(255, 'must be at most 255 characters').regex(NAME, 'must be a server name: no "/" and no control characters').default(''),
});

function parseUser(user: string): string {
  const parsed = userName.safeParse(user);
  if (!parsed.success) throw invalidField('user', parsed.error.issues[0]!.message);
  return parsed.data;
}

/** The server's objects in the caches' snapshot; 404 when the user has neither a route nor a pod for it. */
function located(deps: DiagnoseDeps, params: URLSearchParams, rawUser: string) {
  const user = parseUser(rawUser);
  const { server } = parseQuery(diagnoseQuery, params);
  const mesh = deps.mesh.mesh;
  if (!mesh) throw localModeError('the diagnosis reads pods, Services and Istio objects from a cluster');
  const snapshot = validationSnapshot(deps.mesh, mesh);
  const objects = locateServer(snapshot, user, server);
  if (!objects.route && !objects.pod) throw new ApiError(404, 'not-found', `no route and no pod for ${serverWords(user, server)}`);
  return { user, server, mesh, snapshot, objects };
}

async function trafficOf(deps: DiagnoseDeps, objects: ServerObjects, clusterDomain: string): Promise<TrafficState> {
  const { prometheus, log } = deps.mesh;
  if (!prometheus) return { state: 'unconfigured' };
  if (!objects.serviceKey) return { state: 'no-service' };
  const host = `${objects.serviceKey.name}.${objects.serviceKey.namespace}.svc.${clusterDomain}`;
  try {
    return { state: 'ok', window: TRAFFIC_WINDOW, host, samples: trafficSamples(await prometheus.queryVector(trafficQuery(host))) };
  } catch (error) {
    if (!isPrometheusError(error)) throw error;
    log.warn({ err: error.message, kind: error.kind }, 'Prometheus query failed');
    return { state: 'unavailable', message: error.message };
  }
}

/** "Why can't <user> reach their server?": every hop, its evidence and fix, and the Markdown report. */
export async function diagnoseAnswer(deps: DiagnoseDeps, rawUser: string, params: URLSearchParams): Promise<DiagnoseAnswer> {
  const { user, server, mesh, snapshot, objects } = located(deps, params, rawUser);
  const scene = isolationScene(deps.mesh);
  const [traffic, hub] = await Promise.all([trafficOf(deps, objects, snapshot.clusterDomain), deps.hub ? askHubAboutUser(deps.hub, user) : Promise.resolve<HubState>({ state: 'unconfigured' })]);
  if (hub.state === 'unavailable') deps.mesh.log.warn({ err: hub.message }, 'JupyterHub API call failed');
  const { hops, verdict } = diagnose(
    {
      user,
      server,
      snapshot,
      mtls: mtlsFromConfig(deps.mesh, mesh).namespace,
      isolation: { identities: scene.identities, policies: scene.policies, strict: scene.strict, hubPods: scene.pods.hub },
      expectedSidecarVersion: deps.expectedSidecarVersion(),
      traffic,
      hub,
      settings: deps.settings,
    },
    objects,
  );
  const path = objects.route ? serverUrlPath(objects.route.record.path, deps.settings.hostRouting) : null;
  const checkedAt = new Date(deps.mesh.now()).toISOString();
  return { user, server, path, verdict, servers: objects.servers, hops, report: diagnosisReport({ user, server, path: path ?? undefined, verdict, hops, checkedAt }), checkedAt };
}

/** The Host a browser sends for the route: its own host with host routing, else the hub's public host, else the first named host. */
function probeHost(deps: DiagnoseDeps, routePath: string): string | undefined {
  const { host } = splitHostRoute(routePath, deps.settings.hostRouting);
  if (host) return host;
  if (deps.settings.hubUrl) return new URL(deps.settings.hubUrl).host;
  return deps.settings.hosts.find((h) => !h.includes('*'));
}

/**
 * "Probe now": one request through the gateway for the server's path, as a browser without credentials would send
 * it, at most one in flight per user. 409 when no gateway URL is configured; a gateway that cannot be reached is a
 * result with its error, answered 503.
 */
export async function probeAnswer(deps: DiagnoseDeps, rawUser: string, params: URLSearchParams): Promise<{ status: 200 | 503; result: ProbeResult }> {
  const { user, server, objects } = located(deps, params, rawUser);
  if (!deps.gatewayUrl) throw new ApiError(409, 'not-configured', 'no gateway URL is configured (HUBMESH_GATEWAY_URL), so hubmesh cannot send a request through the gateway');
  const route = objects.route;
  if (!route) throw new ApiError(404, 'not-found', `${serverWords(user, server)} has no route to probe`);
  const gatewayUrl = deps.gatewayUrl;
  const result = await deps.probes.run(user, server, () =>
    probeRoute({ gatewayUrl, host: probeHost(deps, route.record.path), path: serverUrlPath(route.record.path, deps.settings.hostRouting), expectedRoute: route.object.metadata.name, now: deps.mesh.now }),
  );
  return { status: result.status === null ? 503 : 200, result };
}
