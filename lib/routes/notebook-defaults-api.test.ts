import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { recordingPipeline } from '../changes/test-fixtures';
import { configMapKind, type ConfigMap } from '../kube/configmaps';
import { LocalStore } from '../kube/local-backend';
import { changeDefaults, defaultsAnswer, parseDefaultsChange } from './notebook-defaults-api';
import { NotebookDefaultsStore } from './notebook-defaults-store';
import { renderRouteVirtualService, type RenderContext } from './virtualservice';

const ctx: RenderContext = { namespace: 'hub', prefix: 'hubmesh', gateway: 'hub/gw', hosts: ['*'], hostRouting: false, routeTimeout: undefined };
const route = (path: string, data: Record<string, unknown>, overlays = {}) =>
  renderRouteVirtualService({ path, data: { target: 'http://x:8888', ...data }, lastActivity: '2026-12-03T10:00:00.000Z' }, { host: 'x.hub.svc.cluster.local', port: 8888 }, ctx, { rules: [], ...overlays });

describe('the notebook defaults API', () => {
  it('names the field that is wrong', () => {
    expect(parseDefaultsChange({ defaults: { retries: { attempts: 3 } } })).toEqual({ defaults: { retries: { attempts: 3, retryOn: 'connect-failure,refused-stream,unavailable,reset' } }, dryRun: false });
    expect(() => parseDefaultsChange({ defaults: { rateLimit: { requests: 5, per: 'day' } } })).toThrow('defaults.rateLimit.per: must be second, minute or hour');
    expect(() => parseDefaultsChange({ defaults: { timeout: '5s' } })).toThrow(/^defaults\.\(body\): /);
    expect(() => parseDefaultsChange({ dryRun: 'no' })).toThrow('dryRun: must be true or false');
  });

  it('stores them in their ConfigMap through the pipeline (a dry run stores nothing), and says how many notebook routes they reach', async () => {
    const backend = LocalStore.open(mkdtempSync(path.join(os.tmpdir(), 'hubmesh-defaults-'))).backend<ConfigMap>(configMapKind);
    const store = new NotebookDefaultsStore(backend, 'hub', 'hubmesh', pino({ level: 'silent' }));
    store.store.cache.start();
    await store.store.cache.waitForSync(1000);
    const heard: unknown[] = [];
    store.onChange((d) => heard.push(d));
    const { changes, events } = recordingPipeline({ events: true });
    const routes = [route('/', { hub: true }), route('/user/alice', { user: 'alice' }), route('/user/bob', { user: 'bob' }, { retries: 'off' })];
    const deps = { store, configMaps: backend, virtualServices: { list: () => routes }, changes, routeApi: 'virtualservice' as const };
    const defaults = { retries: { attempts: 3, retryOn: 'connect-failure,refused-stream,unavailable,reset' } };

    const dry = await changeDefaults(deps, { defaults, dryRun: true }, 'admin');
    expect(dry.preview).toContain('defaults.json:');
    expect(events).toEqual([]);
    await expect(backend.get('hub', 'hubmesh-notebook-defaults')).rejects.toMatchObject({ status: 404 });

    const applied = await changeDefaults(deps, { defaults, dryRun: false }, 'admin');
    expect(applied.routes).toEqual({ notebooks: 2, ownRetries: 1, ownRateLimit: 0 });
    expect(events.map((e) => [e.action, e.note])).toEqual([['SetNotebookDefaults', 'every notebook: retries 3× on connect-failure,refused-stream,unavailable,reset']]);
    await expect.poll(() => store.current().defaults).toEqual(defaults);
    expect(heard).toEqual([defaults]);
    expect(defaultsAnswer(deps)).toMatchObject({ defaults, routes: { notebooks: 2 }, unavailable: {} });

    // with HTTPRoutes, retries and rate limits cannot be set or changed; circuit breaking can, with the stored retries sent back as they are
    const httpRoutes = { ...deps, routeApi: 'httproute' as const };
    expect(defaultsAnswer(httpRoutes).unavailable).toEqual({
      retries: "is not available with the httproute backend (HUBMESH_ROUTE_API=httproute): the Gateway API's standard channel has no retries",
      rateLimit: "is not available with the httproute backend (HUBMESH_ROUTE_API=httproute): hubmesh's rate limits patch the VirtualService routes' Envoy names",
    });
    const refused = changeDefaults(httpRoutes, { defaults: { retries: { attempts: 5, retryOn: 'reset' }, rateLimit: { requests: 5, per: 'second' } }, dryRun: true }, 'admin');
    await expect(refused).rejects.toMatchObject({ status: 400, fields: [{ field: 'defaults.retries' }, { field: 'defaults.rateLimit' }] });
    const circuitBreaking = { ...defaults, circuitBreaking: { connectionPool: { maxConnections: 100 } } };
    const kept = await changeDefaults(httpRoutes, { defaults: circuitBreaking, dryRun: false }, 'admin');
    expect(kept.defaults).toEqual(circuitBreaking);
    await expect.poll(() => store.current().defaults).toEqual(circuitBreaking);
    store.store.cache.stop();
  });
});
