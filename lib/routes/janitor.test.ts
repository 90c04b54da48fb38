import { virtualServiceRoutes, type RouteObject } from './route-objects';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { changePipeline, type ChangeRecord } from '../changes/pipeline';
import { recordingPipeline } from '../changes/test-fixtures';
import { LocalStore } from '../kube/local-backend';
import { ResourceStore } from '../kube/resource-store';
import { virtualServiceKind, type VirtualService } from '../kube/virtualservices';
import { faultExpiry, Janitor, JANITOR_ACTOR, previewExpiry, recordAsJanitor } from './janitor';
import type { Fault } from './overlays';
import type { PreviewView } from './previews';
import { RouteService } from './service';
import { managedSelector, routeFromObject, type RenderContext } from './virtualservice';

const log = pino({ level: 'silent' });
const expired = { name: 'old', route: '/', virtualService: 'vs', owner: 'alice', expiresAt: '2026-11-24T10:00:00.000Z' } as PreviewView;
const removal = (name: string): ChangeRecord => ({ action: 'ExpireThing', reason: 'ThingExpired', type: 'Normal', note: name, regarding: { apiVersion: 'v1', kind: 'Thing', name } });

describe('Janitor', () => {
  it('passes over every source at once and every interval while leading, records each removal, and stops at once when leadership ends', async () => {
    const calls: Array<AbortSignal | undefined> = [];
    const recorded: string[] = [];
    const janitor = new Janitor({
      sources: [{ removeExpired: async (signal) => (calls.push(signal), calls.length === 1 ? [removal('a')] : []) }, { removeExpired: async () => [] }],
      record: async (change) => void recorded.push(change.note),
      intervalMs: 20,
      log,
    });
    const leadership = new AbortController();
    janitor.lead(leadership.signal);
    await expect.poll(() => calls.length).toBeGreaterThanOrEqual(3);
    expect(recorded).toEqual(['a']);
    leadership.abort();
    await janitor.idle();
    const after = calls.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(calls.length).toBe(after);
    expect(calls.every((s) => s === leadership.signal)).toBe(true);
  });

  it('keeps going when a source or a record fails', async () => {
    let pass = 0;
    const janitor = new Janitor({
      sources: [
        {
          removeExpired: async () => {
            pass++;
            if (pass === 1) throw new Error('apiserver down');
            return [removal('a')];
          },
        },
        { removeExpired: async () => [removal('b')] },
      ],
      record: async () => {
        throw new Error('events forbidden');
      },
      log,
    });
    const signal = new AbortController();
    await expect(janitor.pass(signal.signal)).resolves.toEqual([removal('b')]);
    await expect(janitor.pass(signal.signal)).resolves.toEqual([removal('a'), removal('b')]);
  });

  it("audits a preview's removal through the change pipeline, on the route's VirtualService, as the janitor", async () => {
    const { changes, events, lines } = recordingPipeline({ events: true });
    const [record] = await previewExpiry({ removeExpired: async () => [expired] }, 'hub', virtualServiceKind).removeExpired(new AbortController().signal);
    await recordAsJanitor(changes)(record!);
    expect(events).toEqual([
      {
        actor: JANITOR_ACTOR,
        action: 'ExpirePreview',
        regarding: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'hub', name: 'vs' },
        reason: 'PreviewExpired',
        type: 'Normal',
        note: 'preview old on route / (owner alice) expired at 2026-11-24T10:00:00.000Z and was removed',
      },
    ]);
    expect(lines.map((l) => l.fields)).toMatchObject([{ actor: JANITOR_ACTOR, action: 'ExpirePreview', outcome: 'PreviewExpired' }]);
    // an Event that cannot be recorded is the janitor's "cannot record the removal"
    const failing = changePipeline({ events: async () => Promise.reject(new Error('events forbidden')), log: { info: () => undefined } as never });
    await expect(recordAsJanitor(failing)(record!)).rejects.toThrow('events forbidden');
  });
});

describe('faultExpiry', () => {
  const ctx: RenderContext = { namespace: 'hub', prefix: 'hubmesh', gateway: 'hub/jupyterhub-gateway', hosts: ['*'], hostRouting: false, routeTimeout: undefined };
  const fault: Fault = { abort: { percent: 50, httpStatus: 503 }, scope: { header: 'x-hubmesh-fault', exact: 'demo' }, expiresAt: '2026-12-03T10:30:00.000Z', owner: 'admin' };

  async function routes(clock: { now: Date }) {
    const local = LocalStore.open(mkdtempSync(path.join(os.tmpdir(), 'hubmesh-janitor-'))).backend<VirtualService>(virtualServiceKind);
    const store = new ResourceStore<RouteObject>(local, 'hub', managedSelector('hubmesh'), log);
    const service = new RouteService({ store, objects: virtualServiceRoutes, ctx, clusterDomain: 'cluster.local', maxRouteDataBytes: 4096, resolveIp: async () => undefined, waitUntilServed: async () => undefined, log, now: () => clock.now });
    store.cache.start();
    await store.cache.waitForSync(1000);
    return { service, store, sweep: faultExpiry({ routes: service, virtualServices: store.cache, routeKind: virtualServiceKind, namespace: 'hub', now: () => clock.now, log }) };
  }

  it('removes a fault once it has expired, keeping the other sections, and answers one record per removal', async () => {
    const clock = { now: new Date('2026-12-03T10:00:00.000Z') };
    const { service, store, sweep } = await routes(clock);
    await service.upsert('/user/alice', { target: 'http://jupyter-alice:8888', user: 'alice' });
    await service.upsert('/user/bob', { target: 'http://jupyter-bob:8888', user: 'bob' });
    const retries = { attempts: 3, retryOn: 'connect-failure' };
    await service.setOverlays('/user/alice', { rules: [], fault, retries });
    await service.setOverlays('/user/bob', { rules: [], fault: { ...fault, expiresAt: '2026-12-03T11:00:00.000Z' } });
    const signal = new AbortController().signal;
    expect(await sweep.removeExpired(signal)).toEqual([]);

    clock.now = new Date('2026-12-03T10:30:00.000Z');
    const records = await sweep.removeExpired(signal);
    const alice = store.cache.list().find((vs) => routeFromObject(vs)?.path === '/user/alice')!;
    expect(records).toEqual([
      {
        action: 'ExpireFault',
        reason: 'FaultExpired',
        type: 'Normal',
        regarding: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'hub', name: alice.metadata.name },
        note: 'route /user/alice: fault abort 503 on 50% of requests with x-hubmesh-fault: demo until 2026-12-03T10:30:00.000Z (set by admin) expired and was removed',
      },
    ]);
    expect(routeFromObject(alice)?.overlays).toEqual({ rules: [], retries });
    expect((alice as VirtualService).spec.http!.map((r) => r.name)).toEqual(['route']);
    expect(await sweep.removeExpired(signal)).toEqual([]);
    expect(store.cache.list().flatMap((vs) => (routeFromObject(vs)?.overlays.fault ? [routeFromObject(vs)!.path] : []))).toEqual(['/user/bob']);
  });
});
