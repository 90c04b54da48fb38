import { virtualServiceRoutes, type RouteObject } from './route-objects';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LocalStore } from '../kube/local-backend';
import { ResourceStore } from '../kube/resource-store';
import type { Service } from '../kube/services';
import { virtualServiceKind, type VirtualService } from '../kube/virtualservices';
import { parsePreviewInput, type PreviewInput } from './overlays';
import { attachPoint, PreviewService, shadowReason, shareLinkLocation, shareUrl } from './previews';
import { RouteService } from './service';
import { managedSelector, routeFromObject, type RenderContext } from './virtualservice';

const log = pino({ level: 'silent' });
const ctx: RenderContext = { namespace: 'hub', prefix: 'hubmesh', gateway: 'hub/jupyterhub-gateway', hosts: ['*'], hostRouting: false, routeTimeout: undefined };
const services: Service[] = [
  { metadata: { name: 'hub', namespace: 'hub' }, spec: { ports: [{ port: 8081, name: 'http' }] } },
  { metadata: { name: 'jupyter-alice', namespace: 'hub' }, spec: { ports: [{ port: 8888, name: 'http' }] } },
  { metadata: { name: 'demo', namespace: 'hub' }, spec: { ports: [{ port: 80, name: 'http' }, { port: 9090, name: 'metrics' }] } },
  { metadata: { name: 'short-lived', namespace: 'hub' }, spec: { ports: [{ port: 80, name: 'http' }] } },
];

const input = (fields: Record<string, unknown>): PreviewInput => {
  const parsed = parsePreviewInput({ service: 'demo', port: 80, ttl: '1h', ...fields });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.input;
};

/** PreviewService over a RouteService on the embedded store, with a clock the test moves. */
async function setup() {
  const local = LocalStore.open(mkdtempSync(path.join(os.tmpdir(), 'hubmesh-previews-'))).backend<VirtualService>(virtualServiceKind);
  const store = new ResourceStore<RouteObject>(local, 'hub', managedSelector('hubmesh'), log);
  const clock = { now: new Date('2026-11-24T10:00:00.000Z') };
  const gone = new Set<string>();
  const routes = new RouteService({ store, objects: virtualServiceRoutes, ctx, clusterDomain: 'cluster.local', maxRouteDataBytes: 4096, resolveIp: async () => undefined, waitUntilServed: async () => undefined, services: () => services.filter((s) => !gone.has(s.metadata.name)), log });
  store.cache.start();
  await store.cache.waitForSync(1000);
  await routes.upsert('/', { target: 'http://hub:8081' });
  await routes.upsert('/user/alice', { target: 'http://jupyter-alice:8888', user: 'alice' });
  const previews = new PreviewService({ routes, store, hostRouting: false, log, now: () => clock.now });
  const vsOf = async (routePath: string) => (await local.list('hub')).items.find((vs) => routeFromObject(vs)?.path === routePath)!;
  return { routes, previews, local, clock, gone, vsOf };
}

describe('attachPoint and shadowReason', () => {
  const routes = [{ path: '/' }, { path: '/user/alice' }, { path: '/user/alice/lab' }, { path: '/user/al' }];

  it('picks the route with the longest path above, segment by segment', () => {
    expect(attachPoint(routes, '/user/alice/lab/x')?.path).toBe('/user/alice/lab');
    expect(attachPoint(routes, '/user/alice/labs')?.path).toBe('/user/alice');
    expect(attachPoint(routes, '/user/alice')?.path).toBe('/user/alice');
    expect(attachPoint(routes, '/user/alicex')?.path).toBe('/');
    expect(attachPoint(routes.slice(1), '/services/x')).toBeUndefined();
  });

  it('sees the hub API and other users’ routes and paths, never the owner’s own', () => {
    const hub = { path: '/', data: {} };
    expect(shadowReason('/hub/api', hub, 'alice', false)).toBe("/hub/api is the hub's API (/hub/api)");
    expect(shadowReason('/hub/api/users', hub, 'alice', false)).toMatch(/hub's API/);
    expect(shadowReason('/hub/apis', hub, 'alice', false)).toBeUndefined();
    expect(shadowReason('/', hub, 'alice', false)).toBeUndefined();
    expect(shadowReason('/user/bob/lab', { path: '/user/bob', data: { user: 'bob' } }, 'alice', false)).toBe('/user/bob/lab is on route /user/bob of user "bob"');
    expect(shadowReason('/user/bob', hub, 'alice', false)).toMatch(/under user "bob"'s path/);
    // under a base URL, the hub's API and the users' paths are below it
    expect(shadowReason('/jupyter/hub/api/users', hub, 'alice', false, '/jupyter/hub/api')).toBe("/jupyter/hub/api/users is the hub's API (/jupyter/hub/api)");
    expect(shadowReason('/jupyter/user/bob/lab', hub, 'alice', false, '/jupyter/hub/api')).toBe('/jupyter/user/bob/lab is under user "bob"\'s path /jupyter/user/bob');
    expect(shadowReason('/jupyter/user/alice/lab', hub, 'alice', false, '/jupyter/hub/api')).toBeUndefined();
    expect(shadowReason('/user/alice/x', { path: '/user/alice', data: { user: 'alice' } }, 'alice', false)).toBeUndefined();
    expect(shadowReason('/lab.example.com/hub/api', hub, 'alice', true)).toMatch(/hub's API/);
  });
});

describe('shareUrl', () => {
  it("is the origin's /preview/ page for the preview, its name encoded as one path segment", () => {
    expect(shareUrl('https://hub.example.org', 'demo-1')).toBe('https://hub.example.org/preview/demo-1');
    expect(shareUrl('http://127.0.0.1:3000', 'a/b c?秀')).toBe('http://127.0.0.1:3000/preview/a%2Fb%20c%3F%E7%A7%80');
  });
});

describe('shareLinkLocation', () => {
  const origin = 'http://127.0.0.1:4311';

  it("sends the browser to the preview's path on the origin, quoted as the hub quotes it, with a trailing slash", () => {
    expect(shareLinkLocation(origin, '/')).toBe(`${origin}/`);
    expect(shareLinkLocation(origin, '/user/alice/lab')).toBe(`${origin}/user/alice/lab/`);
    expect(shareLinkLocation(origin, '/秀樹')).toBe(`${origin}/%E7%A7%80%E6%A8%B9/`);
    expect(shareLinkLocation(origin, '/user/a b@c?d#e')).toBe(`${origin}/user/a%20b@c%3Fd%23e/`);
  });

  it('goes to the public URL when it is set, below its path', () => {
    expect(shareLinkLocation('https://hub.example.org', '/user/alice')).toBe('https://hub.example.org/user/alice/');
    expect(shareLinkLocation('https://hub.example.org/jupyter', '/user/alice')).toBe('https://hub.example.org/jupyter/user/alice/');
  });

  it('stays on the origin whatever the stored path holds', () => {
    const cases: Array<[string, string]> = [
      ['/\\evil.example', '/%5Cevil.example/'],
      ['/\\/evil.example', '/%5C/evil.example/'],
      ['//evil.example', '/evil.example/'],
      ['///evil.example/x', '/evil.example/x/'],
      ['/./evil.example', '/evil.example/'],
      ['/a/..//evil.example', '/a/evil.example/'],
      ['/%2e%2e//evil.example', '/%252e%252e/evil.example/'],
      ['/\t/evil.example', '/%09/evil.example/'],
      ['/\n/evil.example', '/%0A/evil.example/'],
      ['https://evil.example', '/https%3A/evil.example/'],
      ['@evil.example', '/@evil.example/'],
      ['', '/'],
    ];
    for (const [stored, path] of cases) expect(shareLinkLocation(origin, stored), JSON.stringify(stored)).toBe(`${origin}${path}`);
  });

  it('for any stored path: a Location on the origin (or the public URL) that a browser reads back unchanged', () => {
    fc.assert(
      fc.property(fc.constantFrom(origin, 'https://hub.example.org', 'https://hub.example.org/jupyter'), fc.string({ unit: 'binary' }), (base, stored) => {
        const location = shareLinkLocation(base, stored);
        const url = new URL(location);
        return url.origin === new URL(base).origin && url.href === location && !/^\/[/\\]/.test(url.pathname) && /^[\x21-\x7e]+$/.test(location);
      }),
      { numRuns: 2000, seed: 20261125 },
    );
  });
});

describe('PreviewService', () => {
  it('creates a preview on the hub route and one on the owner’s route, and lists both', async () => {
    const { previews, vsOf } = await setup();
    const onHub = await previews.create(input({ name: 'hub-demo' }), { owner: 'alice', isAdmin: false });
    expect(onHub.preview).toMatchObject({ name: 'hub-demo', route: '/', pathPrefix: '/', owner: 'alice', createdAt: '2026-11-24T10:00:00.000Z', expiresAt: '2026-11-24T11:00:00.000Z', expired: false });
    expect((onHub.after as VirtualService).spec.http?.map((r) => r.name)).toEqual(['preview-guard-hub-api', 'preview-hub-demo', 'route']);
    const onAlice = await previews.create(input({ name: 'lab', pathPrefix: '/user/alice/lab', match: { header: false } }), { owner: 'alice', isAdmin: false });
    expect(onAlice.preview).toMatchObject({ route: '/user/alice', virtualService: (await vsOf('/user/alice')).metadata.name, match: { header: false, cookie: true } });
    expect((await vsOf('/user/alice')).spec.http?.map((r) => r.name)).toEqual(['preview-lab', 'route']);
    expect(previews.list().map((p) => [p.name, p.route])).toEqual([
      ['hub-demo', '/'],
      ['lab', '/user/alice'],
    ]);
  });

  it('says a preview is inactive once a more specific route created after it covers its path', async () => {
    const { routes, previews, vsOf } = await setup();
    await previews.create(input({ name: 'svc-demo', pathPrefix: '/services/demo/x' }), { owner: 'eng', isAdmin: false });
    expect(previews.get('svc-demo')?.route).toBe('/');
    expect(previews.get('svc-demo')?.coveredBy).toBeUndefined();
    await routes.upsert('/services/demo', { target: 'http://demo:80', service: 'demo' });
    expect(previews.get('svc-demo')).toMatchObject({ route: '/', coveredBy: '/services/demo' });
    // and it is not rendered: the hub route holds no rule for it any more
    expect((await vsOf('/')).spec.http?.map((r) => r.name)).not.toContain('preview-svc-demo');
    await routes.remove('/services/demo');
    expect(previews.get('svc-demo')?.coveredBy).toBeUndefined();
    expect((await vsOf('/')).spec.http?.map((r) => r.name)).toContain('preview-svc-demo');
  });

  it('refuses with the status and the field to fix', async () => {
    const { previews } = await setup();
    await previews.create(input({ name: 'taken', pathPrefix: '/user/alice' }), { owner: 'alice', isAdmin: false });
    await expect(previews.create(input({ name: 'taken' }), { owner: 'alice', isAdmin: false })).rejects.toMatchObject({ status: 409, message: 'name: a preview named taken exists on route /user/alice' });
    await expect(previews.create(input({ name: 'x', service: 'gone' }), { owner: 'alice', isAdmin: false })).rejects.toMatchObject({ status: 400, message: 'service: no Service "gone" in namespace hub' });
    await expect(previews.create(input({ name: 'x', port: 8080 }), { owner: 'alice', isAdmin: false })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^port: Service demo has no port 8080/) });
    await expect(previews.create(input({ name: 'x', port: undefined }), { owner: 'alice', isAdmin: false })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^port: required: Service demo has 2 ports/) });
    await expect(previews.create(input({ name: 'x', service: 'hub', port: 8081 }), { owner: 'alice', isAdmin: false })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^service: is the route's own target/) });
    expect(previews.list().map((p) => p.name)).toEqual(['taken']);
  });

  it('refuses to shadow the hub API or another user’s route, unless an admin allows it', async () => {
    const { previews } = await setup();
    await expect(previews.create(input({ name: 'api', pathPrefix: '/hub/api' }), { owner: 'bob', isAdmin: false })).rejects.toMatchObject({ status: 403, message: expect.stringMatching(/^pathPrefix: \/hub\/api is the hub's API/) });
    await expect(previews.create(input({ name: 'api', pathPrefix: '/hub/api', allowShadow: true }), { owner: 'bob', isAdmin: false })).rejects.toMatchObject({ status: 403, message: expect.stringMatching(/^allowShadow: only an admin/) });
    await expect(previews.create(input({ name: 'api', pathPrefix: '/hub/api' }), { owner: 'admin', isAdmin: true })).rejects.toMatchObject({ status: 403, message: expect.stringMatching(/allowShadow: true/) });
    await expect(previews.create(input({ name: 'alices', pathPrefix: '/user/alice/lab' }), { owner: 'bob', isAdmin: false })).rejects.toMatchObject({ status: 403, message: expect.stringMatching(/^pathPrefix: .* of user "alice"/) });
    await expect(previews.create(input({ name: 'carols', pathPrefix: '/user/carol' }), { owner: 'bob', isAdmin: false })).rejects.toMatchObject({ status: 403 });
    const allowed = await previews.create(input({ name: 'api', pathPrefix: '/hub/api', allowShadow: true }), { owner: 'admin', isAdmin: true });
    expect(allowed.preview).toMatchObject({ route: '/', allowShadow: true });
  });

  it('refuses a path that no route covers, naming pathPrefix', async () => {
    const { previews, routes } = await setup();
    await routes.remove('/');
    await expect(previews.create(input({ name: 'x', pathPrefix: '/services/x' }), { owner: 'alice', isAdmin: false })).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/^pathPrefix: no route covers \/services\/x/) });
  });

  it('a dry run answers with the change and stores nothing', async () => {
    const { previews, vsOf } = await setup();
    const plain = await vsOf('/user/alice');
    const { before, after } = await previews.create(input({ name: 'dry', pathPrefix: '/user/alice' }), { owner: 'alice', isAdmin: false, dryRun: true });
    expect(before.metadata.resourceVersion).toBe(plain.metadata.resourceVersion);
    expect((after as VirtualService).spec.http?.map((r) => r.name)).toEqual(['preview-dry', 'route']);
    expect(await vsOf('/user/alice')).toEqual(plain);
    expect(previews.list()).toEqual([]);
  });

  it('extends from now, and removing the last preview restores the plain route', async () => {
    const { previews, clock, vsOf } = await setup();
    const plain = await vsOf('/user/alice');
    await previews.create(input({ name: 'demo', pathPrefix: '/user/alice' }), { owner: 'alice', isAdmin: false });
    clock.now = new Date('2026-11-24T10:30:00.000Z');
    const { preview } = await previews.extend('demo', 2 * 3600_000);
    expect(preview.expiresAt).toBe('2026-11-24T12:30:00.000Z');
    expect(previews.get('demo')?.expiresAt).toBe('2026-11-24T12:30:00.000Z');
    await expect(previews.extend('demo', 60_000)).rejects.toMatchObject({ status: 400, message: 'ttl: must be from 5m to 7d' });
    await expect(previews.extend('nope', 3600_000)).rejects.toMatchObject({ status: 404 });

    const removed = await previews.remove('demo');
    expect(removed.preview.name).toBe('demo');
    const back = await vsOf('/user/alice');
    expect(back.spec).toEqual(plain.spec);
    expect(back.metadata.annotations).toEqual(plain.metadata.annotations);
    await expect(previews.remove('demo')).rejects.toMatchObject({ status: 404 });
  });

  it('keeps previews when the canary editor sets the route’s other overlays', async () => {
    const { previews, routes, vsOf } = await setup();
    await previews.create(input({ name: 'keep', pathPrefix: '/user/alice' }), { owner: 'alice', isAdmin: false });
    await routes.setOverlays('/user/alice', { rules: [{ name: 'r', match: { header: 'x-a', exact: 'b' }, destination: { service: 'demo', port: 80 } }] });
    expect((await vsOf('/user/alice')).spec.http?.map((r) => r.name)).toEqual(['preview-keep', 'rule-r', 'route']);
  });

  it('removes a preview even when another one’s Service has gone since, but refuses a new one to it', async () => {
    const { previews, gone } = await setup();
    await previews.create(input({ name: 'a' }), { owner: 'alice', isAdmin: false });
    await previews.create(input({ name: 'b', service: 'short-lived' }), { owner: 'alice', isAdmin: false });
    gone.add('short-lived');
    await previews.remove('a');
    await expect(previews.create(input({ name: 'c', service: 'short-lived' }), { owner: 'alice', isAdmin: false })).rejects.toMatchObject({ status: 400, message: 'service: no Service "short-lived" in namespace hub' });
    expect(previews.list().map((p) => p.name)).toEqual(['b']);
  });

  it('removes exactly the expired previews, once', async () => {
    const { previews, clock } = await setup();
    await previews.create(input({ name: 'short', ttl: '5m' }), { owner: 'alice', isAdmin: false });
    await previews.create(input({ name: 'long', pathPrefix: '/user/alice', ttl: '1d' }), { owner: 'alice', isAdmin: false });
    expect(await previews.removeExpired()).toEqual([]);
    clock.now = new Date('2026-11-24T10:05:00.000Z');
    expect(previews.get('short')?.expired).toBe(true);
    expect((await previews.removeExpired()).map((p) => p.name)).toEqual(['short']);
    expect(await previews.removeExpired()).toEqual([]);
    expect(previews.list().map((p) => p.name)).toEqual(['long']);
  });
});
