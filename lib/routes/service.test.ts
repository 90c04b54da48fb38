import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LocalStore } from '../kube/local-backend';
import { ResourceStore } from '../kube/resource-store';
import { virtualServiceKind, type VirtualService } from '../kube/virtualservices';
import { RouteService } from './service';
import { managedSelector, type RenderContext } from './virtualservice';

const log = pino({ level: 'silent' });
const ctx: RenderContext = { namespace: 'hub', prefix: 'hubmesh', gateway: 'hub/jupyterhub-gateway', hosts: ['*'], hostRouting: false, routeTimeout: undefined };

/** RouteService on the embedded store local mode uses, with a clock the test moves. */
async function routeService() {
  const store = new ResourceStore<VirtualService>(
    LocalStore.open(mkdtempSync(path.join(os.tmpdir(), 'hubmesh-routes-'))).backend(virtualServiceKind),
    'hub',
    managedSelector('hubmesh'),
    log,
  );
  let now = Date.parse('2026-11-24T10:00:00.000Z');
  const service = new RouteService({
    store,
    ctx,
    clusterDomain: 'cluster.local',
    resolveIp: async () => undefined,
    waitUntilServed: async () => undefined,
    log,
    now: () => new Date(now),
  });
  store.cache.start();
  await store.cache.waitForSync(1000);
  return { service, store, tick: (ms: number) => (now += ms) };
}

const table = (s: RouteService, since?: Date) => JSON.parse(s.listJson(since)) as Record<string, Record<string, unknown>>;

describe('RouteService', () => {
  it('adds, lists, reads and removes routes', async () => {
    const { service } = await routeService();
    expect(await service.upsert('/user/alice', { target: 'http://jupyter-alice:8888', jupyterhub: true, user: 'alice' })).toMatchObject({ written: true });
    expect(table(service)).toEqual({
      '/user/alice': { target: 'http://jupyter-alice:8888', jupyterhub: true, user: 'alice', last_activity: '2026-11-24T10:00:00.000Z' },
    });
    expect(JSON.parse(service.getJson('/user/alice')!)).toMatchObject({ user: 'alice' });
    expect(await service.remove('/user/alice')).toBe(true);
    expect(await service.remove('/user/alice')).toBe(false);
    expect(table(service)).toEqual({});
  });

  it('writes nothing for an unchanged POST and keeps last_activity; a changed one moves it', async () => {
    const { service, store, tick } = await routeService();
    await service.upsert('/user/bob', { target: 'http://jupyter-bob:8888' });
    const rv = store.cache.list()[0]!.metadata.resourceVersion;
    tick(60_000);
    expect(await service.upsert('/user/bob', { target: 'http://jupyter-bob:8888' })).toMatchObject({ written: false });
    expect(store.cache.list()[0]!.metadata.resourceVersion).toBe(rv);
    expect(table(service)['/user/bob']!.last_activity).toBe('2026-11-24T10:00:00.000Z');
    expect(await service.upsert('/user/bob', { target: 'http://jupyter-bob-2:8888' })).toMatchObject({ written: true });
    expect(table(service)['/user/bob']!.last_activity).toBe('2026-11-24T10:01:00.000Z');
  });

  it('never stores a client-sent last_activity as data', async () => {
    const { service } = await routeService();
    await service.upsert('/user/eve', { target: 'http://jupyter-eve:8888', last_activity: '1999-01-01T00:00:00.000Z' });
    expect(table(service)['/user/eve']!.last_activity).toBe('2026-11-24T10:00:00.000Z');
  });

  it('filters by inactive_since on last_activity', async () => {
    const { service, tick } = await routeService();
    await service.upsert('/user/old', { target: 'http://a:1' });
    tick(1000);
    await service.upsert('/user/new', { target: 'http://b:1' });
    expect(Object.keys(table(service, new Date('2026-11-24T10:00:00.500Z')))).toEqual(['/user/old']);
    expect(Object.keys(table(service, new Date('2026-11-24T10:00:00.000Z')))).toEqual([]);
  });

  it('refuses bad bodies and IP targets nothing serves, naming what to fix', async () => {
    const { service, store } = await routeService();
    await expect(service.upsert('/x', [])).rejects.toMatchObject({ status: 400, message: 'body must be a JSON object' });
    await expect(service.upsert('/x', null)).rejects.toMatchObject({ status: 400, message: expect.stringContaining('body.target') });
    await expect(service.upsert('/x', { target: 'http://10.1.2.3:8888' })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('c.KubeSpawner.services_enabled = True'),
    });
    expect(store.cache.size).toBe(0);
  });
});
