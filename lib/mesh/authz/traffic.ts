import type { Pod } from '../../kube/pods';
import { queryVectors, type InstantSample } from '../../telemetry/prometheus';
import { promqlString } from '../../telemetry/promql';
import { hubServerOf, hubUserOf } from '../pod-status';
import { trafficWindow, type TrafficSource } from '../traffic';
import { fromSpiffe } from './identities';

/**
 * Who really talked to the hub namespace's workloads, from Istio's standard metrics as the destination's proxy
 * reports them (`reporter="destination"`: it alone knows the peer's verified identity). Three queries per
 * refresh, whatever the number of users: requests, TCP connections, and 403 answers, each summed by source
 * (workload, namespace, principal) and destination workload over the window.
 *
 * Istio's metrics do not tell a 403 of an AuthorizationPolicy from a 403 of the application (the RBAC filter
 * sets no response flag, istio/istio#47622), so "denied" counts every 403 the destination's proxy answered.
 */

const SOURCE = ['source_workload_namespace', 'source_workload', 'source_principal'];
const BY = [...SOURCE, 'destination_workload'].join(', ');

export function isolationQueries(namespace: string, window: string) {
  const w = trafficWindow.parse(window);
  const selector = (extra = '') => `{reporter="destination",destination_workload_namespace=${promqlString(namespace)}${extra}}`;
  return {
    requests: `sum by (${BY}) (increase(istio_requests_total${selector()}[${w}])) > 0`,
    connections: `sum by (${BY}) (increase(istio_tcp_connections_opened_total${selector()}[${w}])) > 0`,
    denied: `sum by (${BY}) (increase(istio_requests_total${selector(',response_code="403"')}[${w}])) > 0`,
  };
}

export type IsolationVectors = Record<keyof ReturnType<typeof isolationQueries>, InstantSample[]>;

export type FlowEnd = {
  namespace: string;
  workload: string;
  /** the notebook's user, when the workload is a notebook pod of the hub namespace */
  user?: string;
  server?: string;
};

/** Traffic from one source to one workload of the hub namespace in the window. */
export type Flow = {
  source: FlowEnd & { principal?: string };
  destination: FlowEnd;
  requests: number;
  connections: number;
  /** 403 answers */
  denied: number;
};

export type IsolationTraffic = {
  window: string;
  flows: Flow[];
  /** flows from one notebook to another: each is a finding */
  notebookToNotebook: Flow[];
};

const UNKNOWN = 'unknown';

/**
 * Flows by source and destination. A workload is a notebook when a notebook pod of that name runs in the hub
 * namespace now (KubeSpawner's pods have no controller, so Istio names the workload after the pod).
 */
export function summarizeIsolationTraffic(vectors: IsolationVectors, options: { window: string; namespace: string; notebooks: readonly Pod[] }): IsolationTraffic {
  const notebooks = new Map(
    options.notebooks.map((pod) => [
      pod.metadata.name,
      { user: hubUserOf(pod), server: hubServerOf(pod) ?? '' },
    ]),
  );
  const end = (namespace: string, workload: string): FlowEnd => {
    const notebook = namespace === options.namespace ? notebooks.get(workload) : undefined;
    return { namespace, workload, ...(notebook?.user !== undefined ? { user: notebook.user, server: notebook.server } : {}) };
  };
  const flows = new Map<string, Flow>();
  const take = (samples: InstantSample[], field: 'requests' | 'connections' | 'denied') => {
    for (const { metric, value } of samples) {
      const sourceNamespace = metric.source_workload_namespace || UNKNOWN;
      const sourceWorkload = metric.source_workload || UNKNOWN;
      const principal = metric.source_principal && metric.source_principal !== UNKNOWN ? fromSpiffe(metric.source_principal) : undefined;
      const destination = metric.destination_workload || UNKNOWN;
      const key = `${sourceNamespace}\u0000${sourceWorkload}\u0000${principal ?? ''}\u0000${destination}`;
      const flow = flows.get(key) ?? {
        source: { ...end(sourceNamespace, sourceWorkload), ...(principal ? { principal } : {}) },
        destination: end(options.namespace, destination),
        requests: 0,
        connections: 0,
        denied: 0,
      };
      flow[field] += value;
      flows.set(key, flow);
    }
  };
  take(vectors.requests, 'requests');
  take(vectors.connections, 'connections');
  take(vectors.denied, 'denied');
  const sorted = [...flows.values()].sort((a, b) => b.requests + b.connections - (a.requests + a.connections) || (a.source.workload < b.source.workload ? -1 : 1));
  // even a request a policy answered 403 is a finding: a notebook tried to reach another user's
  return { window: options.window, flows: sorted, notebookToNotebook: sorted.filter((f) => f.source.user !== undefined && f.destination.user !== undefined) };
}

export async function loadIsolationTraffic(prometheus: TrafficSource, options: { window: string; namespace: string; notebooks: readonly Pod[] }): Promise<IsolationTraffic> {
  return summarizeIsolationTraffic(await queryVectors(prometheus, isolationQueries(options.namespace, options.window)), options);
}
