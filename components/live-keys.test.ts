import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChangedKind } from '@/lib/dashboard/live';
import { dependencyOf, EVENTS_REFRESH_MS, isStale, KEY_DEPENDENCIES, PROMETHEUS_REFRESH_MS, refreshIntervalOf, staleKeys } from './live-keys';

const podChurn: ChangedKind[] = [{ kind: 'pods', names: ['jupyter-a', 'jupyter-b'] }];

describe('dependencyOf', () => {
  it('matches a key by its path, whatever its query', () => {
    expect(dependencyOf('/api/v1/routes?page=2&q=alice')?.dependency.path).toBe('/api/v1/routes');
    expect(dependencyOf('/api/v1/mesh?window=5m')?.dependency.path).toBe('/api/v1/mesh');
    expect(dependencyOf('/api/v1/mesh/history?window=5m&span=1h')?.dependency.path).toBe('/api/v1/mesh/history');
  });

  it("reads the object's name from a [name] segment, decoded", () => {
    expect(dependencyOf('/api/v1/routes/hubmesh-user-a')).toMatchObject({ dependency: { path: '/api/v1/routes/[name]' }, name: 'hubmesh-user-a' });
    expect(dependencyOf(`/api/v1/routes/${encodeURIComponent('a b')}/overlays`)).toMatchObject({ dependency: { path: '/api/v1/routes/[name]/overlays' }, name: 'a b' });
    expect(dependencyOf('/api/v1/routes//overlays')).toBeUndefined();
  });

  it('knows no key it was not told of', () => {
    expect(dependencyOf('/api/v1/nothing')).toBeUndefined();
  });
});

describe('isStale', () => {
  it('lets pod churn refetch the tables, but not the pages that query Prometheus or list Services', () => {
    const stale = ['/api/v1/overview', '/api/v1/routes?page=1', '/api/v1/pods', '/api/v1/users?q=a', '/api/v1/validations', '/api/v1/routes/hubmesh-user-a'];
    const kept = ['/api/v1/mesh?window=5m', '/api/v1/mesh/history?window=5m&span=1h', '/api/v1/previews', '/api/v1/services', '/api/v1/audit', '/api/v1/routes/hubmesh-user-a/overlays'];
    expect(stale.filter((key) => isStale(key, podChurn))).toEqual(stale);
    expect(kept.filter((key) => isStale(key, podChurn))).toEqual([]);
  });

  it('refetches the mesh page when its configuration changes', () => {
    expect(isStale('/api/v1/mesh?window=5m', [{ kind: 'peerauthentications', names: ['default'] }])).toBe(true);
    expect(isStale('/api/v1/mesh?window=5m', [{ kind: 'namespaces' }])).toBe(true);
    expect(isStale('/api/v1/mesh/history?window=5m&span=1h', [{ kind: 'peerauthentications', names: ['default'] }])).toBe(false);
  });

  it("refetches one route's answers only for a change to its own VirtualService, or to ones too many to name", () => {
    const key = '/api/v1/routes/hubmesh-user-a/overlays';
    expect(isStale(key, [{ kind: 'virtualservices', names: ['hubmesh-user-b'] }])).toBe(false);
    expect(isStale(key, [{ kind: 'virtualservices', names: ['hubmesh-user-b', 'hubmesh-user-a'] }])).toBe(true);
    expect(isStale(key, [{ kind: 'virtualservices' }])).toBe(true);
    // the Services it offers as targets are any of them
    expect(isStale(key, [{ kind: 'services', names: ['jupyter-b'] }])).toBe(true);
  });

  it('refetches a key it was not told of on every change, as before there was a mapping', () => {
    expect(isStale('/api/v1/nothing', podChurn)).toBe(true);
  });
});

describe('refreshIntervalOf', () => {
  it('polls only what the caches cannot see: Prometheus and Events', () => {
    expect(refreshIntervalOf('/api/v1/mesh?window=5m')).toBe(PROMETHEUS_REFRESH_MS);
    expect(refreshIntervalOf('/api/v1/mesh/history?window=1m&span=1h')).toBe(PROMETHEUS_REFRESH_MS);
    expect(refreshIntervalOf('/api/v1/previews')).toBe(PROMETHEUS_REFRESH_MS);
    expect(refreshIntervalOf('/api/v1/audit')).toBe(EVENTS_REFRESH_MS);
    expect(refreshIntervalOf('/api/v1/routes?page=1')).toBeUndefined();
    expect(refreshIntervalOf('/api/v1/nothing')).toBeUndefined();
  });

  it('polls the traffic figures, which pod churn does not make stale', () => {
    for (const key of ['/api/v1/routes/hubmesh-user-a/traffic?window=1h', '/api/v1/users/alice%40example.org/traffic?window=6h', '/api/v1/traffic/sparklines?kind=routes&window=1h&names=a,b']) {
      expect(refreshIntervalOf(key)).toBe(PROMETHEUS_REFRESH_MS);
      expect(isStale(key, podChurn)).toBe(false);
    }
    expect(isStale('/api/v1/routes/hubmesh-user-a/traffic?window=1h', [{ kind: 'virtualservices', names: ['hubmesh-user-a'] }])).toBe(true);
  });
});

describe('staleKeys', () => {
  const change = (since: number, version: number) => ({ event: 'change' as const, data: { since, version, synced: true, changes: podChurn } });

  it('stales everything the caches feed on a hello, as on every reconnect, whatever the versions', () => {
    const stale = staleKeys({ event: 'hello', data: { version: 4, synced: true } }, 4);
    expect(stale?.('/api/v1/mesh?window=5m')).toBe(true);
    expect(stale?.('/api/v1/nothing')).toBe(true);
    // an answer made of Prometheus alone is polled on its interval: a reconnect does not make it stale
    expect(stale?.('/api/v1/mesh/graph?window=5m')).toBe(false);
  });

  it('stales nothing on a heartbeat, even one ahead of the data while a change is on its way', () => {
    expect(staleKeys({ event: 'status', data: { version: 9, synced: false } }, 4)).toBeUndefined();
  });

  it('stales only the dependent keys for a change that follows on from the data', () => {
    const stale = staleKeys(change(4, 6), 4)!;
    expect(stale('/api/v1/pods')).toBe(true);
    expect(stale('/api/v1/mesh?window=5m')).toBe(false);
    // SWR's own keys that are not strings are left to it
    expect(stale(['/api/v1/mesh', 'other'])).toBe(true);
  });

  it('stales everything after a gap in the versions', () => {
    expect(staleKeys(change(5, 6), 4)!('/api/v1/mesh?window=5m')).toBe(true);
    expect(staleKeys(change(4, 6), undefined)!('/api/v1/mesh?window=5m')).toBe(true);
  });
});

describe('KEY_DEPENDENCIES', () => {
  // GET answers the console does not read through useApi: the stream itself, the sign-in, a download link,
  // and a mesh action's dry run, fetched on a click
  const notKeys = new Set(['/api/v1/stream', '/api/v1/session', '/api/v1/mesh/alerts', '/api/v1/mesh/actions/[target]', '/api/v1/mesh/isolation/isolate']);

  function getRoutes(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) return getRoutes(file);
      return entry.name === 'route.ts' && /export (const|async function) GET\b/.test(readFileSync(file, 'utf8')) ? [`/${path.dirname(path.relative('app', file))}`] : [];
    });
  }

  it('declares every GET answer of the console API', () => {
    const declared = KEY_DEPENDENCIES.map((d) => d.path);
    const routes = getRoutes('app/api/v1');
    expect(routes).toContain('/api/v1/routes/[name]/overlays');
    expect(routes.filter((route) => !notKeys.has(route) && !declared.includes(route))).toEqual([]);
    expect(declared.filter((route) => notKeys.has(route))).toEqual([]);
  });
});
