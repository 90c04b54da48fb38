import { virtualServiceRoutes, type RouteObject } from './route-objects';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LocalStore } from '../kube/local-backend';
import { ResourceStore } from '../kube/resource-store';
import { virtualServiceKind } from '../kube/virtualservices';
import { RouteService, withLastActivity } from './service';
import { managedSelector, type RenderContext } from './virtualservice';

const log = pino({ level: 'silent' });
const ctx: RenderContext = { namespace: 'hub', prefix: 'hubmesh', gateway: 'hub/jupyterhub-gateway', hosts: ['*'], hostRouting: false, routeTimeout: undefined };

/** RouteService on the embedded store local mode uses, with a clock the test moves. */
async function routeService() {
  const store = new ResourceStore<RouteObject>(
    LocalStore.open(mkdtempSync(path.join(os.tmpdir(), 'hubmesh-routes-'))).backend(virtualServiceKind),
    'hub',
    managedSelector('hubmesh'),
    log,
  );
  let now = Date.parse('2026-11-24T10:00:00.000Z');
  const service = new RouteService({
    store,
    objects: virtualServiceRoutes,
    ctx,
    clusterDomain: 'cluster.local',
    maxRouteDataBytes: 4096,
    resolveIp: async () => undefined,
    waitUntilServed: async () => undefined,
    log,
    now: () => new Date(now),
  });
  store.cache.start();
  await store.cache.waitForSync(1000);
  return { service, store, tick: (ms: number) => (now += ms) };
}

const table = (s: RouteService, since?: Date) => JSON.parse([...s.listJsonChunks(since)].join('')) as Record<string, Record<string, unknown>>;

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

  it('refuses route data over the limit with 413 and stores nothing; data at the limit is kept exactly', async () => {
    const { service, store } = await routeService();
    const base = { target: 'http://jupyter-alice:8888', user: 'alice' };
    const fill = (bytes: number) => ({ ...base, pad: 'x'.repeat(bytes - Buffer.byteLength(JSON.stringify({ ...base, pad: '' }))) });
    // multi-byte characters count as their UTF-8 bytes
    const over = { ...base, pad: 'é'.repeat(2100) };
    await expect(service.upsert('/user/alice', over)).rejects.toMatchObject({ status: 413, message: expect.stringMatching(/at most 4096/) });
    await expect(service.upsert('/user/alice', fill(4097))).rejects.toMatchObject({ status: 413 });
    expect(store.cache.list()).toHaveLength(0);
    const atLimit = fill(4096);
    expect(await service.upsert('/user/alice', atLimit)).toMatchObject({ written: true });
    expect(table(service)['/user/alice']).toEqual({ ...atLimit, last_activity: '2026-11-24T10:00:00.000Z' });
  });

  it('streams GET /api/routes in pieces that join to the whole table', async () => {
    const { service } = await routeService();
    const data = (i: number) => ({ target: `http://jupyter-u${i}:8888`, user: `u${i}`, pad: 'p'.repeat(3000) });
    for (let i = 0; i < 60; i++) await service.upsert(`/user/u${i}`, data(i));
    const chunks = [...service.listJsonChunks()];
    expect(chunks.length).toBeGreaterThan(2);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(64 * 1024 + 4096);
    const whole = JSON.parse(chunks.join('')) as Record<string, unknown>;
    expect(Object.keys(whole)).toHaveLength(60);
    expect(whole['/user/u7']).toEqual({ ...data(7), last_activity: '2026-11-24T10:00:00.000Z' });
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

describe('withLastActivity', () => {
  it('appends last_activity to stored data without parsing it', () => {
    const at = '2026-11-24T10:00:00.000Z';
    for (const data of [{ target: 'http://a:1' }, {}, { target: 'http://a:1', 'k"}': '{"x":1}', n: [1, { y: null }] }]) {
      expect(JSON.parse(withLastActivity(JSON.stringify(data), at))).toEqual({ ...data, last_activity: at });
    }
    expect(JSON.parse(withLastActivity('{ "target": "http://a:1" }\n', at))).toEqual({ target: 'http://a:1', last_activity: at });
    expect(JSON.parse(withLastActivity('{ }', at))).toEqual({ last_activity: at });
  });
});
