import type { RouteObject } from '@/lib/routes/route-objects';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { changePipeline, eventRecorder } from '@/lib/changes/pipeline';
import { parseConfig } from '@/lib/config';
import { connect } from '@/lib/kube/connection';
import { envoyFilterKind, type EnvoyFilter } from '@/lib/kube/envoyfilters';
import { eventKind, type KubeEvent } from '@/lib/kube/events';
import type { ResourceBackend } from '@/lib/kube/types';
import { virtualServiceKind, type VirtualService } from '@/lib/kube/virtualservices';
import { faultExpiry, Janitor, JANITOR_ACTOR, recordAsJanitor } from '@/lib/routes/janitor';
import { parseOverlayPatch, patchOverlays, type OverlaysApiDeps } from '@/lib/routes/overlays-api';
import { syncRateLimits } from '@/lib/routes/rate-limit-sync';
import { notebookMatchName, routeFromObject } from '@/lib/routes/virtualservice';
import { clients, HUB_NAMESPACE, testLog } from './helpers';
import { routeReplica, testRenderContext } from './route-replica';

/**
 * A route's resilience settings on the real apiserver: each one PATCHed through the change pipeline, read back,
 * kept by the hub's re-POST and removed again; two admins' edits of two sections at once; the gateway's
 * EnvoyFilter following the limits; and the janitor's removal of an expired fault, recorded once.
 */
const vsGroup = { group: 'networking.istio.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'virtualservices' };
const { adminCore, adminCustom } = clients();
const app = connect(parseConfig({ KUBECONFIG: inject('appKubeconfig'), HUBMESH_NAMESPACE: HUB_NAMESPACE }));
const ctx = testRenderContext('rs');
const suffix = ctx.prefix.slice(2);
const user = `rs-${suffix}`;
const notebook = `jupyter-rs-${suffix}`;
const userPath = `/user/${user}`;
const data = { target: `http://${notebook}:8888`, user, server_name: '' };
const filterName = `${ctx.prefix}-rate-limits`;
const clock = { offsetMs: 0 };
const now = () => new Date(Date.now() + clock.offsetMs);
const replicas: Array<Awaited<ReturnType<typeof routeReplica>>> = [];
const stored = async (name: string) => (await adminCustom.getNamespacedCustomObject({ ...vsGroup, name })) as VirtualService;
const events = app.backend<KubeEvent>(eventKind);
const filters = app.backend<EnvoyFilter>(envoyFilterKind);

async function replica(wrap?: (b: ResourceBackend<RouteObject>) => ResourceBackend<RouteObject>) {
  const r = await routeReplica(app, ctx, wrap);
  replicas.push(r);
  const changes = changePipeline({ events: eventRecorder({ events, namespace: HUB_NAMESPACE, instance: `resilience-${suffix}` }), log: testLog });
  const deps: OverlaysApiDeps = {
    routes: r.routes,
    virtualServices: r.store.cache,
    services: r.services.cache,
    changes,
    rateLimits: { virtualServices: r.store.cache, filters, ctx: { name: filterName, namespace: 'istio-system', prefix: ctx.prefix, gatewaySelector: { istio: 'ingressgateway' } }, defaults: () => ({ limit: undefined, matchName: notebookMatchName(ctx.prefix) }) },
    notebookDefaults: () => ({}),
    routeApi: 'virtualservice',
  };
  return { ...r, deps, changes };
}

describe('resilience settings on the real apiserver', () => {
  let a: Awaited<ReturnType<typeof replica>>;
  let name: string;
  let plain: VirtualService;

  beforeAll(async () => {
    await adminCore.createNamespacedService({ namespace: HUB_NAMESPACE, body: { metadata: { name: notebook }, spec: { selector: { app: notebook }, ports: [{ name: 'http', port: 8888 }] } } });
    a = await replica();
    name = (await a.routes.upsert(userPath, data)).name;
    plain = await stored(name);
  });

  afterAll(async () => {
    for (const r of replicas) r.stop();
    await adminCustom.deleteCollectionNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${ctx.prefix}` });
    await adminCustom.deleteNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1alpha3', namespace: 'istio-system', plural: 'envoyfilters', name: filterName }).catch(() => undefined);
    await adminCore.deleteNamespacedService({ namespace: HUB_NAMESPACE, name: notebook }).catch(() => undefined);
  });

  const patch = (body: unknown, replicaDeps = a.deps) => patchOverlays(replicaDeps, name, parseOverlayPatch(body, now()), 'admin');

  it('round-trips each setting, keeps it through the hub\'s re-POST, and turning it off gives back the plain route', async () => {
    const settings = {
      retries: { attempts: 3, retryOn: 'connect-failure,refused-stream,unavailable,reset', perTryTimeout: '2s' },
      timeout: '90s',
      fault: { abort: { percent: 50, httpStatus: 503 }, scope: { header: 'x-hubmesh-fault', exact: 'demo' }, ttl: '30m' },
      rateLimit: { requests: 20, per: 'second' },
    } as const;
    for (const [key, value] of Object.entries(settings)) {
      const answer = await patch({ overlays: { [key]: value } });
      expect(answer.dryRun).toBe(false);
      expect(answer.audit).toMatchObject({ recorded: true });
      const vs = await stored(name);
      const overlays = routeFromObject(vs)!.overlays as Record<string, unknown>;
      expect(overlays[key], key).toEqual(key === 'fault' ? { ...settings.fault, ttl: undefined, expiresAt: expect.any(String) } : value);
      expect(await a.routes.upsert(userPath, data)).toMatchObject({ written: false });
      expect((routeFromObject(await stored(name))!.overlays as Record<string, unknown>)[key], `${key} after the hub's re-POST`).toEqual(overlays[key]);
    }
    const rules = (await stored(name)).spec.http!;
    expect(rules.map((r) => r.name)).toEqual(['fault', 'route']);
    expect(rules[1]).toMatchObject({ retries: { attempts: 3, perTryTimeout: '2s' }, timeout: '90s' });
    expect(rules[1]!.match!.map((m) => m.name)).toEqual([name, name]);

    await patch({ overlays: { retries: null, timeout: null, fault: null, rateLimit: null } });
    const after = await stored(name);
    expect(after.spec).toEqual(plain.spec);
    expect(after.metadata.annotations?.['hubmesh.io/overlays']).toBeUndefined();
  });

  it('loses neither of two sections two admins change at once: the later write reads again and keeps the other', async () => {
    let release: () => void = () => undefined;
    const other = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    // replica b's first replace waits until a's change is written, so it carries a stale resourceVersion
    const b = await replica((backend) => ({
      ...backend,
      kind: backend.kind,
      replace: async (namespace, object) => {
        if (!held) {
          held = true;
          await other;
        }
        return backend.replace(namespace, object);
      },
    }));
    const fromB = patch({ overlays: { timeout: '45s' } }, b.deps);
    await new Promise((r) => setTimeout(r, 300));
    await patch({ overlays: { retries: 'off' } });
    release();
    await fromB;
    const overlays = routeFromObject(await stored(name))!.overlays;
    expect([overlays.retries, overlays.timeout]).toEqual(['off', '45s']);
    await patch({ overlays: { retries: null, timeout: null } });
  });

  it("keeps the gateway's EnvoyFilter in line: a limit adds exactly its routes' patches, the route's DELETE takes them away", async () => {
    const answer = await patch({ overlays: { rateLimit: { requests: 5, per: 'minute', burst: 10 } } });
    expect(answer.related).toEqual([expect.objectContaining({ kind: 'EnvoyFilter', namespace: 'istio-system', name: filterName, audit: expect.objectContaining({ recorded: true }) })]);
    const routeNames = (f: EnvoyFilter) => f.spec.configPatches.filter((p) => p.applyTo === 'HTTP_ROUTE').map((p) => p.match!.routeConfiguration!.vhost!.route!.name);
    expect(routeNames(await filters.get('istio-system', filterName))).toEqual([`route.${name}`]);
    // a dry run of another limit changes nothing
    await patchOverlays(a.deps, name, parseOverlayPatch({ overlays: { rateLimit: { requests: 6, per: 'minute' } }, dryRun: true }), 'admin');
    expect((await filters.get('istio-system', filterName)).spec.configPatches.find((p) => p.applyTo === 'HTTP_ROUTE')!.patch.value).toMatchObject({ typed_per_filter_config: { 'envoy.filters.http.local_ratelimit': { token_bucket: { max_tokens: 10 } } } });

    expect(await a.routes.remove(userPath)).toBe(true);
    expect(await syncRateLimits({ ...a.deps.rateLimits, changes: a.changes }, { actor: 'hubmesh' })).toBeDefined();
    expect(routeNames(await filters.get('istio-system', filterName))).toEqual([]);
    name = (await a.routes.upsert(userPath, data)).name;
  });

  it('removes an expired fault with one Event, whichever replica passes after it', async () => {
    await patch({ overlays: { fault: { delay: { percent: 10, fixedDelay: '1s' }, scope: { header: 'x-hubmesh-fault', exact: 'demo' }, ttl: '1m' } } });
    const janitors = replicas.slice(0, 2).map(
      (r) => new Janitor({ sources: [faultExpiry({ routes: r.routes, virtualServices: r.store.cache, routeKind: virtualServiceKind, namespace: HUB_NAMESPACE, now, log: testLog })], record: recordAsJanitor(a.changes), log: testLog }),
    );
    const signal = new AbortController().signal;
    expect(await janitors[0]!.pass(signal)).toEqual([]);
    clock.offsetMs = 61_000;
    const passes = await Promise.all(janitors.map((j) => j.pass(signal)));
    expect(passes.flat().map((r) => r.action)).toEqual(['ExpireFault']);
    expect(routeFromObject(await stored(name))!.overlays.fault).toBeUndefined();
    expect((await stored(name)).spec.http!.map((r) => r.name)).toEqual(['route']);
    const recorded = (await events.list(HUB_NAMESPACE)).items.filter((e) => e.reason === 'FaultExpired' && e.regarding.name === name);
    expect(recorded.map((e) => [e.action, e.metadata.annotations?.['hubmesh.io/actor']])).toEqual([['ExpireFault', JANITOR_ACTOR]]);
    clock.offsetMs = 0;
  });
});
