import { virtualServiceRoutes, type RouteObject } from './route-objects';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { LocalStore } from '../kube/local-backend';
import { ResourceStore } from '../kube/resource-store';
import type { Service } from '../kube/services';
import type { ResourceBackend } from '../kube/types';
import { virtualServiceKind, type VirtualService } from '../kube/virtualservices';
import {
  checkOverlays,
  cookieRegex,
  escapeRe2,
  fieldName,
  formatFieldErrors,
  NO_OVERLAYS,
  parseOverlays,
  parsePreviewInput,
  PREVIEW_COOKIE,
  PREVIEW_TTL_MAX_MS,
  type OverlayCheckContext,
  type Overlays,
  type Preview,
} from './overlays';
import { RouteService } from './service';
import { managedSelector, primaryDestination, renderRouteVirtualService, routeFromObject, type RenderContext } from './virtualservice';
import { ANNOTATIONS } from '../kube/labels';

/** Envoy matches header regexes with RE2 against the whole value; re2js is a port of RE2 with the same syntax. */
const re2FullMatch = (regex: string, input: string) => RE2JS.compile(regex).matches(input);

describe('escapeRe2', () => {
  // [literal, a string the literal read as a regex would match]
  it.each([
    ['a.b', 'aXb'],
    ['x*y+z?', 'yyyz'],
    ['(g)|[h]', 'h'],
    ['a{1,2}', 'aa'],
    ['^start$', 'start'],
    ['back\\d', 'back7'],
    ['v1.2.3-rc+build', 'v1x2x3-rcbuild'],
    ['ümlaut 秀樹 %2F;=,"\'`~#&@!', undefined],
  ])('makes %j match itself and nothing else under RE2', (literal, nearMiss) => {
    const regex = `^${escapeRe2(literal)}$`;
    expect(re2FullMatch(regex, literal)).toBe(true);
    expect(re2FullMatch(regex, `${literal}x`)).toBe(false);
    if (nearMiss !== undefined) {
      expect(re2FullMatch(`^${literal}$`, nearMiss), 'the near miss must catch an unescaped literal').toBe(true);
      expect(re2FullMatch(regex, nearMiss)).toBe(false);
    }
  });

  it('escapes exactly the RE2 metacharacters, as Go regexp.QuoteMeta does', () => {
    expect(escapeRe2('\\.+*?()|[]{}^$')).toBe('\\\\\\.\\+\\*\\?\\(\\)\\|\\[\\]\\{\\}\\^\\$');
    expect(escapeRe2('plain-text_with ;=,/')).toBe('plain-text_with ;=,/');
  });
});

describe('cookieRegex', () => {
  const regex = cookieRegex('hubmesh-preview', 'feature-x.1');

  it.each([
    ['hubmesh-preview=feature-x.1', true],
    ['a=1; hubmesh-preview=feature-x.1', true],
    ['a=1;hubmesh-preview=feature-x.1; b=2', true],
    ['a=1; hubmesh-preview=feature-x.1;b=2', true],
    ['xhubmesh-preview=feature-x.1', false],
    ['a=1; xhubmesh-preview=feature-x.1', false],
    ['hubmesh-preview=feature-x.12', false],
    ['hubmesh-preview=feature-xZ1', false],
    ['a=hubmesh-preview=feature-x.1', false],
    ['hubmesh-preview=other; b=feature-x.1', false],
    ['', false],
  ])('on "cookie: %s" matches: %s', (header, matches) => {
    expect(re2FullMatch(regex, header)).toBe(matches);
  });

  it('escapes the cookie name too (a token may hold "." "*" "+" "^" "|" "$")', () => {
    expect(re2FullMatch(cookieRegex('a.b*', 'v'), 'a.b*=v')).toBe(true);
    expect(re2FullMatch(cookieRegex('a.b*', 'v'), 'aXbbb=v')).toBe(false);
  });
});

describe('parseOverlays', () => {
  it('names every field the schema refuses', () => {
    const result = parseOverlays({
      canary: { weights: { current: 90, canary: 20 }, destination: { service: 'hub-canary' } },
      rules: [{ name: 'ok', match: { header: 'x-a', exact: 'b' }, destination: { service: 's' } }, { name: 'Not_DNS', match: { header: 'x-a', exact: 'b' }, destination: { service: 's' } }],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.field).sort()).toEqual(['canary.weights.canary', 'rules[1].name']);
    expect(formatFieldErrors(result.errors)).toContain('canary.weights.canary: must add up to 100');
  });

  it('fills in the defaults', () => {
    expect(parseOverlays({})).toEqual({ ok: true, overlays: NO_OVERLAYS });
  });

  it('writes paths as field names', () => {
    expect(fieldName(['rules', 3, 'match', 'header'])).toBe('rules[3].match.header');
    expect(fieldName([])).toBe('');
  });
});

describe('checkOverlays', () => {
  const service = (name: string, ports: Array<{ port: number; name?: string; protocol?: string }>): Service => ({ metadata: { name, namespace: 'jupyterhub' }, spec: { ports } });
  const ctx: OverlayCheckContext = {
    namespace: 'jupyterhub',
    clusterDomain: 'cluster.local',
    services: [service('hub', [{ port: 8081, name: 'hub' }]), service('hub-canary', [{ port: 8081, name: 'http' }]), service('preview', [{ port: 80, name: 'http' }, { port: 9090, name: 'metrics' }]), service('dns', [{ port: 53, protocol: 'UDP' }])],
    current: { host: 'hub.jupyterhub.svc.cluster.local', port: 8081 },
    data: { target: 'http://hub:8081', hub: true },
    now: new Date('2026-11-24T10:00:00.000Z'),
  };
  const rule = (name: string, destination: Overlays['rules'][number]['destination'], match: Overlays['rules'][number]['match'] = { header: 'x-preview', exact: 'yes' }) => ({ name, match, destination });
  const errorsOf = (o: Overlays, c = ctx) => checkOverlays(o, c).map((e) => `${e.field}: ${e.message}`);

  it('accepts a canary and rules to existing Services and ports', () => {
    expect(errorsOf({ canary: { weights: { current: 90, canary: 10 }, destination: { service: 'hub-canary' } }, rules: [rule('a', { service: 'preview', port: 80 }), rule('b', { service: 'hub', subset: 'v2' })] })).toEqual([]);
  });

  it('refuses a duplicate rule name, naming both', () => {
    expect(errorsOf({ rules: [rule('a', { service: 'preview', port: 80 }), rule('a', { service: 'preview', port: 80 })] })).toEqual(['rules[1].name: duplicate: rules[0] is already named "a"']);
  });

  it('refuses destinations that are not there', () => {
    expect(errorsOf({ canary: { weights: { current: 50, canary: 50 }, destination: { service: 'nope' } }, rules: [rule('a', { service: 'preview', port: 8080 }), rule('b', { service: 'preview' }), rule('c', { service: 'dns', port: 53 })] })).toEqual([
      'canary.destination.service: no Service "nope" in namespace jupyterhub',
      'rules[0].destination.port: Service preview has no port 8080 (its ports: 80 (http), 9090 (metrics))',
      'rules[1].destination.port: required: Service preview has 2 ports (80 (http), 9090 (metrics)), so Istio cannot pick one',
      'rules[2].destination.port: port 53 of Service dns is UDP: HTTP needs TCP',
    ]);
  });

  it("refuses an overlay to the route's own target, unless it names a subset", () => {
    expect(errorsOf({ canary: { weights: { current: 50, canary: 50 }, destination: { service: 'hub' } }, rules: [rule('a', { service: 'hub', port: 8081 })] })).toEqual([
      "canary.destination: is the route's own target (hub.jupyterhub.svc.cluster.local:8081): route elsewhere, or to a subset",
      "rules[0].destination: is the route's own target (hub.jupyterhub.svc.cluster.local:8081): route elsewhere, or to a subset",
    ]);
    expect(errorsOf({ canary: { weights: { current: 50, canary: 50 }, destination: { service: 'hub', subset: 'v2' } }, rules: [] })).toEqual([]);
  });

  it('refuses values that can never match and regexes RE2 does not compile', () => {
    expect(
      errorsOf({
        rules: [
          rule('a', { service: 'preview', port: 80 }, { cookie: 'c', value: 'x;y' }),
          rule('b', { service: 'preview', port: 80 }, { header: 'x-a', exact: 'v ' }),
          rule('c', { service: 'preview', port: 80 }, { header: 'x-a', regex: 'a(?=b)' }),
          rule('d', { service: 'preview', port: 80 }, { header: 'x-a', exact: 'line\nbreak' }),
          rule('e', { service: 'preview', port: 80 }, { header: 'x-a', regex: '(?i)^feature-[a-z]+$' }),
        ],
      }),
    ).toEqual([
      'rules[0].match.value: a cookie value cannot hold ";", whitespace or control characters',
      'rules[1].match.exact: must not start or end with whitespace: HTTP strips it from header values',
      expect.stringMatching(/^rules\[2\]\.match\.regex: not an RE2 regex: .*\(\?=/),
      'rules[3].match.exact: must not hold control characters',
    ]);
  });

  it('takes destinations on trust where there are no Services to check (local mode)', () => {
    expect(errorsOf({ rules: [rule('a', { service: 'anything' })] }, { ...ctx, services: undefined })).toEqual([]);
  });
});

const log = pino({ level: 'silent' });
const ctx: RenderContext = { namespace: 'hub', prefix: 'hubmesh', gateway: 'hub/jupyterhub-gateway', hosts: ['*'], hostRouting: false, routeTimeout: undefined };
const services: Service[] = [
  { metadata: { name: 'jupyter-alice', namespace: 'hub' }, spec: { ports: [{ port: 8888, name: 'http' }] } },
  { metadata: { name: 'jupyter-alice-next', namespace: 'hub' }, spec: { ports: [{ port: 8888, name: 'http' }] } },
  { metadata: { name: 'preview', namespace: 'hub' }, spec: { ports: [{ port: 80, name: 'http' }] } },
];
const withOverlays: Overlays = {
  canary: { weights: { current: 80, canary: 20 }, destination: { service: 'jupyter-alice-next' } },
  rules: [{ name: 'preview', match: { cookie: 'hubmesh-preview', value: 'on' }, destination: { service: 'preview', port: 80 } }],
};

/** RouteService on the embedded store local mode uses; `wrap` may wrap its backend, to interfere. */
async function routeService(wrap: (b: ResourceBackend<VirtualService>) => ResourceBackend<VirtualService> = (b) => b) {
  const local = LocalStore.open(mkdtempSync(path.join(os.tmpdir(), 'hubmesh-overlays-'))).backend<VirtualService>(virtualServiceKind);
  const store = new ResourceStore<RouteObject>(wrap(local), 'hub', managedSelector('hubmesh'), log);
  const service = new RouteService({ store, objects: virtualServiceRoutes, ctx, clusterDomain: 'cluster.local', maxRouteDataBytes: 4096, resolveIp: async () => undefined, waitUntilServed: async () => undefined, services: () => services, log });
  store.cache.start();
  await store.cache.waitForSync(1000);
  return { service, store, local };
}
const alice = { target: 'http://jupyter-alice:8888', user: 'alice' };

describe('RouteService overlays', () => {
  it('keeps overlays through the hub re-POSTing the route, unchanged or changed', async () => {
    const { service, local } = await routeService();
    await service.upsert('/user/alice', alice);
    const { after } = await service.setOverlays('/user/alice', withOverlays);
    expect(routeFromObject(after)?.overlays).toEqual(withOverlays);

    expect(await service.upsert('/user/alice', alice)).toMatchObject({ written: false });
    expect((await local.get('hub', after.metadata.name)).metadata.resourceVersion).toBe(after.metadata.resourceVersion);

    expect(await service.upsert('/user/alice', { ...alice, target: 'http://jupyter-alice:9999' })).toMatchObject({ written: true });
    const moved = await local.get('hub', after.metadata.name);
    expect(primaryDestination(moved)).toEqual({ host: 'jupyter-alice.hub.svc.cluster.local', port: 9999 });
    expect(routeFromObject(moved)?.overlays).toEqual(withOverlays);
    expect(moved.spec.http?.map((r) => r.name)).toEqual(['rule-preview', 'route']);
  });

  it('turning overlays off restores exactly the plain route', async () => {
    const { service, local } = await routeService();
    await service.upsert('/user/alice', alice);
    const [plain] = (await local.list('hub')).items;
    await service.setOverlays(plain!.metadata.name, withOverlays);
    const { after } = await service.setOverlays('/user/alice', NO_OVERLAYS);
    expect(after.spec).toEqual(plain!.spec);
    expect(after.metadata.annotations).toEqual(plain!.metadata.annotations);
    expect(after.metadata.annotations?.[ANNOTATIONS.overlays]).toBeUndefined();
  });

  it('a dry run answers with what would be stored, and stores nothing', async () => {
    const { service, local } = await routeService();
    await service.upsert('/user/alice', alice);
    const [stored] = (await local.list('hub')).items;
    const { before, after } = await service.setOverlays('/user/alice', withOverlays, { dryRun: true });
    expect(before.metadata.resourceVersion).toBe(stored!.metadata.resourceVersion);
    expect(after.spec).toEqual(renderRouteVirtualService(routeFromObject(stored!)!, primaryDestination(stored!)!, { ...ctx, clusterDomain: 'cluster.local' }, withOverlays).spec);
    expect(await local.get('hub', stored!.metadata.name)).toEqual(stored);
  });

  it('refuses with the status and the field to fix', async () => {
    const { service } = await routeService();
    await expect(service.setOverlays('/user/nobody', withOverlays)).rejects.toMatchObject({ status: 404 });
    await service.upsert('/user/alice', alice);
    await expect(service.setOverlays('/user/alice', { rules: [withOverlays.rules[0]!, withOverlays.rules[0]!] })).rejects.toMatchObject({ status: 400, message: 'rules[1].name: duplicate: rules[0] is already named "preview"' });
    await expect(service.setOverlays('/user/alice', { canary: { weights: { current: 50, canary: 40 }, destination: { service: 'preview' } }, rules: [] })).rejects.toMatchObject({ status: 400, message: 'canary.weights.canary: must add up to 100' });
    await expect(service.setOverlays('/user/alice', { rules: [{ ...withOverlays.rules[0]!, destination: { service: 'gone' } }] })).rejects.toMatchObject({ status: 400, message: 'rules[0].destination.service: no Service "gone" in namespace hub' });
  });

  /** A RouteService whose next replace is preceded by another writer's change to the stored object. */
  async function racing() {
    let interfere: (() => Promise<unknown>) | undefined;
    const setup = await routeService((b) => ({
      ...b,
      replace: async (ns, object) => {
        const other = interfere;
        interfere = undefined;
        await other?.();
        return b.replace(ns, object);
      },
    }));
    await setup.service.upsert('/user/alice', alice);
    const [stored] = (await setup.local.list('hub')).items;
    return { ...setup, stored: stored!, before: (write: () => Promise<unknown>) => (interfere = write) };
  }
  const ctxWithDomain = { ...ctx, clusterDomain: 'cluster.local' };

  it('an overlay update that loses a race with the hub re-reads, and keeps the new target', async () => {
    const { service, local, stored, before } = await racing();
    const newTarget = { host: 'jupyter-alice.hub.svc.cluster.local', port: 9999 };
    before(() => local.replace('hub', renderRouteVirtualService(routeFromObject(stored)!, newTarget, ctxWithDomain)));
    const { after } = await service.setOverlays('/user/alice', withOverlays);
    expect(Number(after.metadata.resourceVersion)).toBe(Number(stored.metadata.resourceVersion) + 2);
    expect(primaryDestination(after as VirtualService)).toEqual(newTarget);
    expect(routeFromObject(after)?.overlays).toEqual(withOverlays);
  });

  it("a hub re-POST that loses a race with an overlay update re-reads, and keeps the overlays", async () => {
    const { service, local, stored, before } = await racing();
    before(() => local.replace('hub', renderRouteVirtualService(routeFromObject(stored)!, primaryDestination(stored)!, ctxWithDomain, withOverlays)));
    expect(await service.upsert('/user/alice', { ...alice, target: 'http://jupyter-alice:9999' })).toMatchObject({ written: true });
    const after = await local.get('hub', stored.metadata.name);
    expect(Number(after.metadata.resourceVersion)).toBe(Number(stored.metadata.resourceVersion) + 2);
    expect(primaryDestination(after)).toEqual({ host: 'jupyter-alice.hub.svc.cluster.local', port: 9999 });
    expect(routeFromObject(after)?.overlays).toEqual(withOverlays);
  });
});

describe('previewInput', () => {
  const errorsOf = (input: unknown) => {
    const parsed = parsePreviewInput(input);
    return parsed.ok ? [] : parsed.errors.map((e) => `${e.field}: ${e.message}`);
  };

  it('fills in the hub route and both conditions, and reads the ttl as milliseconds', () => {
    expect(parsePreviewInput({ name: 'feature-x', service: 'demo', ttl: '2h' })).toEqual({
      ok: true,
      input: { name: 'feature-x', pathPrefix: '/', service: 'demo', match: { header: true, cookie: true }, ttl: 2 * 3600_000 },
    });
    expect(parsePreviewInput({ name: 'a', pathPrefix: '/user/alice/', service: 'demo', port: 80, match: { cookie: false }, ttl: '5m', allowShadow: true })).toMatchObject({
      ok: true,
      input: { pathPrefix: '/user/alice', port: 80, match: { header: true, cookie: false }, ttl: 300_000, allowShadow: true },
    });
    expect(parsePreviewInput({ name: 'a', service: 'demo', ttl: '7d' })).toMatchObject({ ok: true, input: { ttl: PREVIEW_TTL_MAX_MS } });
  });

  it('names every field it refuses', () => {
    expect(errorsOf({ name: 'Feature_X', pathPrefix: 'user/alice', service: 'demo', port: 0, match: { header: false, cookie: false }, ttl: '90s', extra: 1 })).toEqual([
      expect.stringMatching(/^name: must be a DNS-1123 label/),
      'pathPrefix: must start with "/" and hold no whitespace, "?", "#" or control characters',
      expect.stringMatching(/^port: /),
      'match: at least one of header and cookie must be true',
      'ttl: must be a duration such as "30m", "2h" or "3d"',
      expect.stringMatching(/^: Unrecognized key.*extra/),
    ]);
    expect(errorsOf({ name: 'a', service: 'demo', ttl: '4m' })).toEqual(['ttl: must be from 5m to 7d']);
    expect(errorsOf({ name: 'a', service: 'demo', ttl: '8d' })).toEqual(['ttl: must be from 5m to 7d']);
    expect(errorsOf({ name: 'a', service: 'demo' })).toEqual([expect.stringMatching(/^ttl: /)]);
    expect(errorsOf({ name: 'a', pathPrefix: '/user/../hub', service: 'demo', ttl: '1h' })).toEqual(['pathPrefix: must not hold empty, "." or ".." segments']);
    expect(errorsOf({ name: 'a', pathPrefix: '/a b', service: 'demo', ttl: '1h' })).toEqual([expect.stringMatching(/^pathPrefix: must start with "\/" and hold no whitespace/)]);
    expect(errorsOf({ name: 'x'.repeat(64), service: 'demo', ttl: '1h' })).toEqual([expect.stringMatching(/^name: must be a DNS-1123 label/)]);
  });

  it('refuses a path prefix that a browser would not read as the same path on the hub', () => {
    const backslash = 'pathPrefix: must not hold "\\" (browsers read it as "/") or control characters';
    for (const pathPrefix of ['/\\evil.example', '/\\/evil.example', '/user/alice\\..\\..\\hub', '/x\u0085y']) {
      expect(errorsOf({ name: 'a', pathPrefix, service: 'demo', ttl: '1h' }), pathPrefix).toEqual([backslash]);
    }
    for (const pathPrefix of ['//evil.example', '///evil.example', '/./evil.example']) {
      expect(errorsOf({ name: 'a', pathPrefix, service: 'demo', ttl: '1h' }), pathPrefix).toEqual(['pathPrefix: must not hold empty, "." or ".." segments']);
    }
    for (const pathPrefix of ['/\t/evil.example', '/\n/evil.example', '/\r/evil.example', '\\\\evil.example', 'https://evil.example', 'javascript:alert(1)']) {
      expect(errorsOf({ name: 'a', pathPrefix, service: 'demo', ttl: '1h' })[0], pathPrefix).toMatch(/^pathPrefix: must start with "\/" and hold no whitespace/);
    }
    // a path in any script is a path: the share link percent-encodes it
    expect(parsePreviewInput({ name: 'a', pathPrefix: '/秀樹', service: 'demo', ttl: '1h' })).toMatchObject({ ok: true, input: { pathPrefix: '/秀樹' } });
  });

  it('still reads a stored preview whose path prefix holds "\\" (created before that was refused)', () => {
    const stored = { name: 'old', pathPrefix: '/\\evil.example', destination: { service: 'demo' }, match: { header: true, cookie: true }, owner: 'alice', createdAt: '2026-01-01T00:00:00Z', expiresAt: '2026-01-02T00:00:00Z' };
    expect(parseOverlays({ rules: [], previews: [stored] })).toMatchObject({ ok: true, overlays: { previews: [{ pathPrefix: '/\\evil.example' }] } });
  });

  it('its cookie regex holds for the cookie the share link sets, among others, and for no other preview', () => {
    const regex = cookieRegex(PREVIEW_COOKIE, 'feature-x');
    expect(re2FullMatch(regex, '_xsrf=abc; hubmesh-preview=feature-x; jupyterhub-session-id=1')).toBe(true);
    expect(re2FullMatch(regex, 'hubmesh-preview=feature-xy')).toBe(false);
    expect(re2FullMatch(regex, 'x-hubmesh-preview=feature-x')).toBe(false);
  });
});

describe('checkOverlays on previews', () => {
  const services: Service[] = [{ metadata: { name: 'demo', namespace: 'jupyterhub' }, spec: { ports: [{ port: 80, name: 'http' }, { port: 9090, name: 'metrics' }] } }];
  const ctx: OverlayCheckContext = {
    namespace: 'jupyterhub',
    clusterDomain: 'cluster.local',
    services,
    current: { host: 'hub.jupyterhub.svc.cluster.local', port: 8081 },
    data: { target: 'http://hub:8081', hub: true },
    now: new Date('2026-11-24T10:00:00.000Z'),
  };
  const preview = (name: string, destination: Preview['destination']): Preview => ({
    name,
    pathPrefix: '/',
    destination,
    match: { header: true, cookie: true },
    owner: 'alice',
    createdAt: '2026-11-24T10:00:00.000Z',
    expiresAt: '2026-11-24T12:00:00.000Z',
  });

  it('refuses a duplicate name and a Service or port that is not there, naming the field', () => {
    expect(
      checkOverlays({ rules: [], previews: [preview('a', { service: 'demo', port: 80 }), preview('a', { service: 'demo', port: 80 }), preview('b', { service: 'gone' }), preview('c', { service: 'demo', port: 8080 })] }, ctx).map(
        (e) => `${e.field}: ${e.message}`,
      ),
    ).toEqual([
      'previews[1].name: duplicate: previews[0] is already named "a"',
      'previews[2].destination.service: no Service "gone" in namespace jupyterhub',
      'previews[3].destination.port: Service demo has no port 8080 (its ports: 80 (http), 9090 (metrics))',
    ]);
  });

  it('stores previews in the schema that reads them back, and refuses a stored one without a condition', () => {
    expect(parseOverlays({ previews: [preview('a', { service: 'demo', port: 80 })] })).toMatchObject({ ok: true });
    const broken = parseOverlays({ previews: [{ ...preview('a', { service: 'demo' }), match: { header: false, cookie: false } }] });
    expect(broken.ok ? [] : broken.errors.map((e) => e.field)).toEqual(['previews[0].match']);
  });
});
