import type { Pod } from '../kube/pods';
import type { Service } from '../kube/services';
import type { GatewayKey } from '../mesh/checkers/hosts';
import type { ValidationSnapshot } from '../mesh/checkers/types';
import type { IsolationScene } from '../mesh/isolation-api';
import type { MtlsStatusResult } from '../mesh/mtls';
import type { RouteObject } from '../routes/route-objects';
import type { Destination, StoredRoute } from '../routes/virtualservice';

/**
 * "Why can't alice reach her server?", hop by hop along a request's way: the hub's route, the gateway's merged
 * route table, the Service, the pod, mTLS, the policies that let callers in, the recent traffic, and the hub's own
 * idea of the server's URL. Every hop is judged by pure functions over one snapshot of the watch caches.
 */

/** pass: green; fail: red, requests break here; warn: amber, they may; unknown: grey, hubmesh cannot tell (e.g. Prometheus not configured). */
export type HopStatus = 'pass' | 'fail' | 'warn' | 'unknown';

export type HopId = 'route' | 'routing' | 'destination' | 'pod' | 'mtls' | 'access' | 'traffic' | 'hub';

/** An object named in the evidence, for a link to it. */
export type ObjectLink = { kind: string; namespace: string; name: string };

export type Evidence = { label: string; value: string; ref?: ObjectLink };

export type Hop = {
  id: HopId;
  title: string;
  status: HopStatus;
  /** what was found, naming the objects */
  summary: string;
  evidence: Evidence[];
  /** what to change, in plain words; absent when there is nothing to fix */
  fix?: string;
};

export type Verdict = 'ok' | 'failing' | 'warning';

/** The objects one user server stands on, as found in the snapshot. */
export type ServerObjects = {
  user: string;
  /** '' for the default server */
  server: string;
  /** the hub's route for the server: its object (a VirtualService, or an HTTPRoute with HUBMESH_ROUTE_API=httproute) and the route it was rendered from */
  route: { object: RouteObject; record: StoredRoute } | undefined;
  /** where the route sends the server's path */
  destination: Destination | undefined;
  /** the Kubernetes Service the destination host names, when it names one */
  serviceKey: GatewayKey | undefined;
  service: Service | undefined;
  /** the server's pod: behind the Service, else the notebook pod the hub's labels name */
  pod: Pod | undefined;
  /** every server of the user that has a route or a pod, the default one as '' */
  servers: string[];
};

/** Requests to the server's Service, as one proxy reported them, with one response code and set of Envoy flags. */
export type TrafficSample = {
  /** source: the caller's proxy (the gateway, for browsers); destination: the notebook's sidecar */
  reporter: 'source' | 'destination';
  code: string;
  /** Envoy's response flags, "-" for none, several joined by "," */
  flags: string;
  /** requests in the window */
  requests: number;
};

export type TrafficState =
  | { state: 'unconfigured' }
  | { state: 'unavailable'; message: string }
  /** no Service to ask Prometheus about */
  | { state: 'no-service' }
  | { state: 'ok'; window: string; host: string; samples: TrafficSample[] };

/** One server as the hub's REST API describes it (GET /users/<name>, servers[<name>]). */
export type HubServer = { name: string; url: string; ready: boolean; pending: string | null };

export type HubState =
  | { state: 'unconfigured' }
  | { state: 'unavailable'; message: string }
  /** servers: undefined when the hub left them out (the token lacks read:servers); user undefined: the hub does not know the user */
  | { state: 'ok'; user: { name: string; servers: Record<string, HubServer> | undefined } | undefined };

/** Settings the hub's URLs are checked against. */
export type HubSettings = {
  /** the hub's URL as browsers reach it (HUBMESH_HUB_URL), when set */
  hubUrl: string | undefined;
  /** the hosts the routes are written for (HUBMESH_HOSTS) */
  hosts: string[];
  hostRouting: boolean;
};

/** Everything one diagnosis reads. Pure data: the same input gives the same hops. */
export type DiagnoseInput = {
  user: string;
  server: string;
  snapshot: ValidationSnapshot;
  /** the hub namespace's mTLS as configured (the mTLS page's) */
  mtls: MtlsStatusResult;
  /** the identities, AuthorizationPolicies and hub pods the isolation page reads */
  isolation: Pick<IsolationScene, 'identities' | 'policies' | 'strict'> & { hubPods: Pod[] };
  /** the istio-proxy version sidecars should run (HUBMESH_ISTIO_VERSION, else the notebooks' majority) */
  expectedSidecarVersion: string | undefined;
  traffic: TrafficState;
  hub: HubState;
  settings: HubSettings;
};

export type HopContext = DiagnoseInput & { objects: ServerObjects };
