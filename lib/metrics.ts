import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type CacheProbe = () => Array<{ kind: string; objects: number; synced: boolean }>;

/** hubmesh's Prometheus metrics, one registry per process (kept on globalThis across dev reloads). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hubmesh_' });
  let cacheProbe: CacheProbe = () => [];
  const metrics = {
    registry,
    httpRequests: new Counter({
      name: 'hubmesh_http_requests_total',
      help: 'HTTP requests served, by API route, method and status code',
      labelNames: ['route', 'method', 'code'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'hubmesh_http_request_duration_seconds',
      help: 'Time to answer HTTP requests, by API route and method',
      labelNames: ['route', 'method'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    kubeRequests: new Counter({
      name: 'hubmesh_kube_requests_total',
      help: 'Requests to the Kubernetes API, by verb (WATCH: a watch opened) and status code (0: unreachable)',
      labelNames: ['verb', 'code'] as const,
      registers: [registry],
    }),
    kubeErrors: new Counter({
      name: 'hubmesh_kube_request_errors_total',
      help: 'Kubernetes API requests that failed (status >= 400 or unreachable), by verb and status code',
      labelNames: ['verb', 'code'] as const,
      registers: [registry],
    }),
    setCacheProbe(probe: CacheProbe) {
      cacheProbe = probe;
    },
  };
  new Gauge({
    name: 'hubmesh_cache_objects',
    help: 'Objects held in each watch cache',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const c of cacheProbe()) this.set({ kind: c.kind }, c.objects);
    },
  });
  new Gauge({
    name: 'hubmesh_cache_synced',
    help: '1 when the watch cache is synced with the apiserver, 0 while it is (re)listing',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const c of cacheProbe()) this.set({ kind: c.kind }, c.synced ? 1 : 0);
    },
  });
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
