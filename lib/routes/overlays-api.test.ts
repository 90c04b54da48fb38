import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { envoyFilterKind, type EnvoyFilter } from '../kube/envoyfilters';
import { LocalStore } from '../kube/local-backend';
import type { VirtualService } from '../kube/virtualservices';
import { changeOverlays, overlaysAnswer, parseOverlayChange, parseOverlayPatch, patchOverlays, type OverlaysApiDeps } from './overlays-api';
import type { Overlays } from './overlays';
import { recordingPipeline } from '../changes/test-fixtures';
import { renderRouteVirtualService, routeFromObject, type RenderContext } from './virtualservice';

const ctx: RenderContext = { namespace: 'hub', prefix: 'hubmesh', gateway: 'hub/jupyterhub-gateway', hosts: ['*'], hostRouting: false, routeTimeout: undefined };
const hubRoute = renderRouteVirtualService({ path: '/', data: { target: 'http://hub:8081' }, lastActivity: '2026-11-24T10:00:00.000Z' }, { host: 'hub.hub.svc.cluster.local', port: 8081 }, ctx);
const name = hubRoute.metadata.name;
const canary: Overlays = { canary: { weights: { current: 90, canary: 10 }, destination: { service: 'hub-canary' } }, rules: [] };

/** The route's VirtualService in a cache, a route service that answers with the change it would make, and the audits recorded. */
function fakes(options: { audit: boolean }) {
  const pipeline = recordingPipeline({ events: options.audit });
  const writes: Array<{ path: string; overlays: Overlays; dryRun: boolean | undefined }> = [];
  const after: VirtualService = { ...hubRoute, metadata: { ...hubRoute.metadata, uid: 'uid-1', annotations: { ...hubRoute.metadata.annotations, changed: 'yes' } } };
  const deps: OverlaysApiDeps = {
    virtualServices: { get: (n) => (n === name ? hubRoute : undefined) },
    services: { list: () => [{ metadata: { name: 'hub-canary', namespace: 'hub' }, spec: { ports: [{ name: 'http', port: 8081 }] } }] },
    routes: {
      // as RouteService does: the change applied to what is stored
      updateOverlays: async (path, change, opts) => {
        const overlays = change({ rules: [] }, routeFromObject(hubRoute)!);
        writes.push({ path, overlays, dryRun: opts?.dryRun });
        const rendered = renderRouteVirtualService({ path: '/', data: { target: 'http://hub:8081' }, lastActivity: '2026-11-24T10:00:00.000Z' }, { host: 'hub.hub.svc.cluster.local', port: 8081 }, ctx, overlays);
        return { before: hubRoute, after: { ...rendered, metadata: { ...rendered.metadata, uid: after.metadata.uid, annotations: { ...rendered.metadata.annotations, changed: 'yes' } } }, warnings: [] };
      },
    },
    changes: pipeline.changes,
    rateLimits: {
      virtualServices: { list: () => [hubRoute] },
      filters: LocalStore.open(mkdtempSync(path.join(os.tmpdir(), 'hubmesh-overlays-api-'))).backend<EnvoyFilter>(envoyFilterKind),
      ctx: { name: 'hubmesh-rate-limits', namespace: 'istio-system', prefix: 'hubmesh', gatewaySelector: { istio: 'ingressgateway' } },
      defaults: () => ({ limit: undefined, matchName: 'hubmesh-notebooks' }),
    },
    notebookDefaults: () => ({ retries: { attempts: 3, retryOn: 'connect-failure' } }),
    routeApi: 'virtualservice',
  };
  return { deps, audits: pipeline.events, writes, after };
}

describe('overlaysAnswer', () => {
  it("answers with the route's path, its overlays (none yet) and the Services to choose from", () => {
    // the hub's own route takes nothing from the notebook defaults
    expect(overlaysAnswer(fakes({ audit: true }).deps, name)).toEqual({
      path: '/',
      overlays: { rules: [] },
      inherited: {},
      notebook: false,
      services: [{ name: 'hub-canary', ports: [{ name: 'http', port: 8081 }] }],
      routeApi: 'virtualservice',
      kind: 'VirtualService',
      unavailable: {},
    });
  });

  it('with the httproute backend, names the settings an HTTPRoute cannot store, and inherits none of them from the notebook defaults', () => {
    const { deps } = fakes({ audit: true });
    const notebookRoute = renderRouteVirtualService({ path: '/user/alice', data: { target: 'http://a:8888', user: 'alice' }, lastActivity: '2026-11-24T10:00:00.000Z' }, { host: 'a.hub.svc.cluster.local', port: 8888 }, ctx);
    const answer = overlaysAnswer({ ...deps, routeApi: 'httproute', virtualServices: { get: () => notebookRoute } }, notebookRoute.metadata.name);
    expect(answer).toMatchObject({ kind: 'HTTPRoute', notebook: true, inherited: {} });
    expect(Object.keys(answer.unavailable).sort()).toEqual(['fault', 'rateLimit', 'retries', 'subset']);
    expect(answer.unavailable.retries).toBe("is not available with the httproute backend (HUBMESH_ROUTE_API=httproute): the Gateway API's standard channel has no retries");
    // the same notebook route inherits the defaults' retries with VirtualServices
    expect(overlaysAnswer({ ...deps, virtualServices: { get: () => notebookRoute } }, notebookRoute.metadata.name).inherited).toEqual({ retries: { attempts: 3, retryOn: 'connect-failure' } });
  });

  it('is a 404 for a VirtualService that is not a route', () => {
    expect(() => overlaysAnswer(fakes({ audit: true }).deps, 'nope')).toThrow(expect.objectContaining({ status: 404, message: 'no route with VirtualService "nope"' }));
    expect(() => overlaysAnswer({ ...fakes({ audit: true }).deps, routeApi: 'httproute' }, 'nope')).toThrow(expect.objectContaining({ status: 404, message: 'no route with HTTPRoute "nope"' }));
  });
});

describe('changeOverlays', () => {
  it('applies the overlays to the route and records the change, with the admin as actor', async () => {
    const { deps, audits, writes } = fakes({ audit: true });
    const result = await changeOverlays(deps, name, { overlays: canary, dryRun: false, confirmUnscopedFault: false }, 'admin');
    expect(writes).toEqual([{ path: '/', overlays: canary, dryRun: false }]);
    expect(result).toMatchObject({ dryRun: false, path: '/', overlays: canary, audit: { recorded: true, event: 'event-1' } });
    const added = result.diff.flatMap((hunk) => hunk.lines).filter((line) => line.op === 'add').map((line) => line.text.trim());
    expect(added).toEqual(expect.arrayContaining(['changed: yes', 'weight: 10']));
    expect(result.preview).toContain('    changed: yes\n');
    expect(audits).toEqual([
      {
        actor: 'admin',
        action: 'SetRouteOverlays',
        regarding: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'hub', name, uid: 'uid-1' },
        reason: 'AppliedByHubmesh',
        type: 'Normal',
        note: 'route /: canary 10% to hub-canary',
      },
    ]);
  });

  it('records nothing for a dry run, nor where there are no Events (local mode)', async () => {
    const dry = fakes({ audit: true });
    expect(await changeOverlays(dry.deps, name, { overlays: { rules: [] }, dryRun: true, confirmUnscopedFault: false }, 'admin')).not.toHaveProperty('audit');
    expect(dry.writes[0]?.dryRun).toBe(true);
    expect(dry.audits).toEqual([]);

    const local = fakes({ audit: false });
    expect(await changeOverlays(local.deps, name, { overlays: { rules: [] }, dryRun: false, confirmUnscopedFault: false }, 'admin')).not.toHaveProperty('audit');
  });

  it('refuses a fault without scope until the admin confirms it, recording nothing; a scoped one needs no confirmation', async () => {
    const { deps, audits, writes } = fakes({ audit: true });
    const fault = { abort: { percent: 50, httpStatus: 503 }, expiresAt: '2099-01-01T00:00:00.000Z' };
    const unscoped: Overlays = { rules: [], fault: { ...fault, scope: 'everyone' } };
    await expect(changeOverlays(deps, name, { overlays: unscoped, dryRun: false, confirmUnscopedFault: false }, 'admin')).rejects.toMatchObject({
      status: 409,
      code: 'confirmation-required',
      fields: [{ field: 'confirmUnscopedFault', message: expect.stringContaining('hits every user of the route') }],
    });
    expect([writes, audits]).toEqual([[], []]);
    await changeOverlays(deps, name, { overlays: unscoped, dryRun: false, confirmUnscopedFault: true }, 'admin');
    await changeOverlays(deps, name, { overlays: { rules: [], fault: { ...fault, scope: { header: 'x-hubmesh-fault', exact: 'demo' } } }, dryRun: false, confirmUnscopedFault: false }, 'admin');
    expect(writes.map((w) => w.overlays.fault?.scope)).toEqual(['everyone', { header: 'x-hubmesh-fault', exact: 'demo' }]);
  });

  it("brings the gateway's EnvoyFilter in line when the rate limit changes, answering its diff and YAML too", async () => {
    const { deps, audits } = fakes({ audit: true });
    // the route as the write would answer it: its own matches named after it, as the limit renders them
    const limited = renderRouteVirtualService({ path: '/', data: { target: 'http://hub:8081' }, lastActivity: '2026-11-24T10:00:00.000Z' }, { host: 'hub.hub.svc.cluster.local', port: 8081 }, ctx, {
      rules: [],
      rateLimit: { requests: 100, per: 'minute' },
    });
    deps.routes.updateOverlays = async () => ({ before: hubRoute, after: limited, warnings: [] });
    const result = await changeOverlays(deps, name, { overlays: { rules: [], rateLimit: { requests: 100, per: 'minute' } }, dryRun: false, confirmUnscopedFault: false }, 'admin');
    expect(result.related).toHaveLength(1);
    expect(result.related[0]).toMatchObject({ kind: 'EnvoyFilter', namespace: 'istio-system', name: 'hubmesh-rate-limits' });
    expect(result.related[0]!.preview).toContain(`name: route.${name}\n`);
    expect(result.related[0]!.preview).toContain('max_tokens: 100\n');
    expect(audits.map((a) => [a.action, a.note])).toEqual([
      ['SetRouteOverlays', 'route /: rate limit 100 per minute'],
      ['SyncRateLimits', 'rate limits at the gateway on /'],
    ]);
    // the same limit again: the filter already says it
    deps.virtualServices = { get: () => limited };
    const again = await changeOverlays(deps, name, { overlays: { rules: [], rateLimit: { requests: 100, per: 'minute' } }, dryRun: false, confirmUnscopedFault: false }, 'admin');
    expect(again.related).toEqual([]);
  });

  it('is a 404 for an unknown route, and writes nothing', async () => {
    const { deps, writes } = fakes({ audit: true });
    await expect(changeOverlays(deps, 'nope', { overlays: canary, dryRun: false, confirmUnscopedFault: false }, 'admin')).rejects.toMatchObject({ status: 404 });
    expect(writes).toEqual([]);
  });
});

describe('patchOverlays', () => {
  it('sets the sections named and removes those given null, keeping every other section as stored', async () => {
    const { deps, writes } = fakes({ audit: true });
    const stored = { rules: [], timeout: '30s', retries: 'off' as const };
    deps.routes.updateOverlays = async (path, change) => {
      writes.push({ path, overlays: change(stored, routeFromObject(hubRoute)!), dryRun: false });
      return { before: hubRoute, after: hubRoute, warnings: [] };
    };
    await patchOverlays(deps, name, parseOverlayPatch({ overlays: { retries: { attempts: 2, retryOn: '5xx' }, timeout: null } }), 'admin');
    expect(writes.map((w) => w.overlays)).toEqual([{ rules: [], retries: { attempts: 2, retryOn: '5xx' } }]);
  });

  it('names only the sections the editor sets, and a body that is no object of sections', () => {
    expect(() => parseOverlayPatch({ overlays: { previews: [] } })).toThrow('overlays.previews: not a section this editor sets (they are canary, rules, retries, timeout, fault, rateLimit)');
    expect(() => parseOverlayPatch({ overlays: [] })).toThrow('overlays: must be an object of the sections to set (null removes one)');
    expect(parseOverlayPatch({ overlays: { fault: { abort: { percent: 5, httpStatus: 500 }, scope: 'everyone', ttl: '1h' } } }, new Date('2026-12-03T10:00:00.000Z')).sections).toEqual({
      fault: { abort: { percent: 5, httpStatus: 500 }, scope: 'everyone', expiresAt: '2026-12-03T11:00:00.000Z' },
    });
  });
});

describe('parseOverlayChange', () => {
  it('names the field that is wrong', () => {
    expect(parseOverlayChange({ overlays: canary, dryRun: true, confirmUnscopedFault: false })).toEqual({ overlays: canary, dryRun: true, confirmUnscopedFault: false });
    expect(() => parseOverlayChange({ dryRun: 'yes' })).toThrow('dryRun: must be true or false');
    expect(() => parseOverlayChange({ overlays: { rules: 'all' } })).toThrow(/^overlays\.rules: /);
    expect(() => parseOverlayChange({ confirmUnscopedFault: 1 })).toThrow('confirmUnscopedFault: must be true or false');
  });

  it("turns a new fault's ttl into its expiry from now, and keeps a stored fault's expiry", () => {
    const now = new Date('2026-12-03T10:00:00.000Z');
    const fault = { abort: { percent: 50, httpStatus: 503 }, scope: { header: 'x-hubmesh-fault', exact: 'demo' } };
    expect(parseOverlayChange({ overlays: { fault: { ...fault, ttl: '30m' } } }, now).overlays.fault?.expiresAt).toBe('2026-12-03T10:30:00.000Z');
    expect(parseOverlayChange({ overlays: { fault: { ...fault, expiresAt: '2026-12-03T10:05:00.000Z' } } }, now).overlays.fault?.expiresAt).toBe('2026-12-03T10:05:00.000Z');
    expect(() => parseOverlayChange({ overlays: { fault: { ...fault, ttl: '2d' } } }, now)).toThrow('overlays.fault.ttl: must be from 1m to 1d');
    expect(() => parseOverlayChange({ overlays: { fault: { ...fault, ttl: '30m', expiresAt: '2026-12-03T10:05:00.000Z' } } }, now)).toThrow(/^overlays\.fault\.ttl: give either ttl/);
    expect(() => parseOverlayChange({ overlays: { fault } }, now)).toThrow(/^overlays\.fault\.expiresAt: /);
  });
});
