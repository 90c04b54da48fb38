import type { Runtime } from '../runtime';

/** What every dashboard answer carries, so the browser can show whether its data is fresh. */
export function freshness(rt: Runtime) {
  const caches = {
    virtualservices: rt.virtualServices.cache.status(),
    pods: rt.pods.cache.status(),
    services: rt.services.cache.status(),
  };
  return { version: rt.dashboard.currentVersion, synced: Object.values(caches).every((c) => c.synced), caches };
}
