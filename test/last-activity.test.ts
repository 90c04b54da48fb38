import { type RouteObject } from '../lib/routes/route-objects';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { LastActivityWriter, serviceKey, type ActivitySource, type ServiceActivity } from '@/lib/activity/last-activity';
import { parseConfig } from '@/lib/config';
import { connect } from '@/lib/kube/connection';
import { isNotFound } from '@/lib/kube/errors';
import { LeaderElector } from '@/lib/kube/leader-election';
import { leaseKind, type Lease } from '@/lib/kube/leases';
import { ResourceStore } from '@/lib/kube/resource-store';
import type { ResourceBackend } from '@/lib/kube/types';
import { virtualServiceKind, type VirtualService } from '@/lib/kube/virtualservices';
import { managedSelector, renderRouteVirtualService, type RenderContext } from '@/lib/routes/virtualservice';
import { ANNOTATIONS } from '@/lib/kube/labels';
import { HUB_NAMESPACE, testLog, uniqueName } from './helpers';

const CLUSTER_DOMAIN = 'cluster.local';
const app = connect(parseConfig({ KUBECONFIG: inject('appKubeconfig'), HUBMESH_NAMESPACE: HUB_NAMESPACE }));
const admin = connect(parseConfig({ KUBECONFIG: inject('adminKubeconfig'), HUBMESH_NAMESPACE: HUB_NAMESPACE }));
const vsBackend = app.backend<VirtualService>(virtualServiceKind);

// one prefix for this file: its stores see only the routes it made
const ctx: RenderContext = {
  namespace: HUB_NAMESPACE,
  prefix: uniqueName('lastact'),
  gateway: `${HUB_NAMESPACE}/jupyterhub-gateway`,
  hosts: ['*'],
  hostRouting: false,
  routeTimeout: undefined,
};
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** An activity source that reports what the test chose, and counts how often it was asked. */
class ChosenActivity implements ActivitySource {
  asked = 0;
  constructor(public activity: (user: string) => Date | undefined) {}
  async activeServices(): Promise<ServiceActivity> {
    this.asked++;
    const result: ServiceActivity = new Map();
    for (const user of users) {
      const at = this.activity(user);
      if (at) result.set(serviceKey({ namespace: HUB_NAMESPACE, name: serviceName(user) }), at);
    }
    return result;
  }
}

const users: string[] = [];
const serviceName = (user: string) => `jupyter-${user}-${ctx.prefix.slice(-6)}`;

/** A store of this file's routes, started and synced, over a backend that records every patch it sends. */
async function routeStore(backend: ResourceBackend<VirtualService> = vsBackend) {
  const patches: Array<{ name: string; at: number; lastActivity: string }> = [];
  const recording: ResourceBackend<VirtualService> = {
    ...backend,
    patch: (namespace, name, body, options) => {
      const lastActivity = (body as { metadata: { annotations: Record<string, string> } }).metadata.annotations[ANNOTATIONS.lastActivity]!;
      patches.push({ name, at: performance.now(), lastActivity });
      return backend.patch(namespace, name, body, options);
    },
  };
  const store = new ResourceStore<RouteObject>(recording, HUB_NAMESPACE, managedSelector(ctx.prefix), testLog);
  store.cache.start();
  expect(await store.cache.waitForSync(10_000)).toBe(true);
  stores.push(store);
  return { store, patches };
}
const stores: Array<ResourceStore<RouteObject>> = [];

async function createRoutes(names: string[], lastActivityMs: number): Promise<VirtualService[]> {
  const created: VirtualService[] = [];
  for (const user of names) {
    users.push(user);
    const vs = renderRouteVirtualService(
      { path: `/user/${user}`, data: { target: `http://${serviceName(user)}:8888`, user }, lastActivity: iso(lastActivityMs) },
      { host: `${serviceName(user)}.${HUB_NAMESPACE}.svc.${CLUSTER_DOMAIN}`, port: 8888 },
      ctx,
    );
    created.push(await vsBackend.create(HUB_NAMESPACE, vs));
  }
  return created;
}

async function stored(vs: VirtualService): Promise<VirtualService> {
  return vsBackend.get(HUB_NAMESPACE, vs.metadata.name);
}
const lastActivityOf = (vs: VirtualService) => vs.metadata.annotations?.[ANNOTATIONS.lastActivity];

describe('last_activity from real traffic, written by the leader', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  beforeAll(() => {
    cleanups.push(async () => {
      for (const vs of (await vsBackend.list(HUB_NAMESPACE, managedSelector(ctx.prefix))).items) await vsBackend.delete(HUB_NAMESPACE, vs.metadata.name);
    });
  });
  afterEach(() => {
    for (const s of stores.splice(0)) s.cache.stop();
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('moves last_activity only for routes whose Service had requests, only forward, and shows it in the cache at once', async () => {
    const start = Date.now() - 3 * HOUR;
    const [alice, bob, carol] = await createRoutes(['alice', 'bob', 'carol'].map(uniqueName), start);
    const { store, patches } = await routeStore();
    const [aliceUser, bobUser] = users.slice(-3);
    const traffic = new Map([
      [aliceUser, new Date(start + HOUR)],
      [bobUser, new Date(start - HOUR)], // older than the route's own timestamp
    ]);
    const source = new ChosenActivity((user) => traffic.get(user));
    const writer = new LastActivityWriter({ store, source, clusterDomain: CLUSTER_DOMAIN, log: testLog });

    expect(await writer.pass(new AbortController().signal)).toEqual({ planned: 1, written: 1, failed: 0 });
    const [a1, b1, c1] = await Promise.all([alice!, bob!, carol!].map(stored));
    expect(lastActivityOf(a1!)).toBe(iso(start + HOUR));
    expect(lastActivityOf(store.cache.get(alice!.metadata.name) as VirtualService)).toBe(iso(start + HOUR));
    // nothing was written to the others: same timestamp, same resourceVersion
    expect([lastActivityOf(b1!), lastActivityOf(c1!)]).toEqual([iso(start), iso(start)]);
    expect([b1!.metadata.resourceVersion, c1!.metadata.resourceVersion]).toEqual([bob!.metadata.resourceVersion, carol!.metadata.resourceVersion]);
    // only the annotation changed
    expect(a1!.spec).toEqual(alice!.spec);
    expect({ ...a1!.metadata.annotations, [ANNOTATIONS.lastActivity]: 'x' }).toEqual({ ...alice!.metadata.annotations, [ANNOTATIONS.lastActivity]: 'x' });

    // an older report moves nothing
    traffic.set(aliceUser, new Date(start + HOUR / 2));
    expect(await writer.pass(new AbortController().signal)).toEqual({ planned: 0, written: 0, failed: 0 });
    expect(lastActivityOf(await stored(alice!))).toBe(iso(start + HOUR));
    expect(patches.map((p) => p.name)).toEqual([alice!.metadata.name]);
  });

  it('a writer whose cache lags never moves a timestamp backward: its patch is conditional on the version it planned from', async () => {
    const start = Date.now() - 3 * HOUR;
    const [dora] = await createRoutes([uniqueName('dora')], start);
    const doraUser = users.at(-1)!;
    const lagging = await routeStore();
    lagging.store.cache.stop(); // its watch ends; the cache keeps what it had, still marked synced
    const current = await routeStore();

    const fresh = new LastActivityWriter({ store: current.store, source: new ChosenActivity((user) => (user === doraUser ? new Date(start + 2 * HOUR) : undefined)), clusterDomain: CLUSTER_DOMAIN, log: testLog });
    expect(await fresh.pass(new AbortController().signal)).toMatchObject({ written: 1 });

    const stale = new LastActivityWriter({
      store: lagging.store,
      source: new ChosenActivity((user) => (user === doraUser ? new Date(start + HOUR) : undefined)),
      clusterDomain: CLUSTER_DOMAIN,
      log: testLog,
    });
    // it plans from its cache (dora at `start`), the apiserver refuses the stale version, and on the stored object there is nothing to do
    expect(await stale.pass(new AbortController().signal)).toEqual({ planned: 1, written: 0, failed: 0 });
    expect(lagging.patches).toHaveLength(1);
    expect(lastActivityOf(await stored(dora!))).toBe(iso(start + 2 * HOUR));
    expect(lastActivityOf(lagging.store.cache.get(dora!.metadata.name) as VirtualService)).toBe(iso(start + 2 * HOUR));
  });

  it('stops writing as soon as leadership is lost, in the middle of a pass and between passes', async () => {
    const start = Date.now() - 3 * HOUR;
    const routes = await createRoutes(Array.from({ length: 12 }, (_, i) => uniqueName(`eve${i}`)), start);
    const names = new Set(routes.map((r) => r.metadata.name));
    const leadership = new AbortController();
    let answered = 0;
    const losing: ResourceBackend<VirtualService> = {
      ...vsBackend,
      patch: async (...args) => {
        const patched = await vsBackend.patch(...args);
        if (++answered === 3) leadership.abort();
        return patched;
      },
    };
    const { store, patches } = await routeStore(losing);
    const theirs = new Set(users.slice(-12));
    const source = new ChosenActivity((user) => (theirs.has(user) ? new Date(start + HOUR) : undefined));
    const writer = new LastActivityWriter({ store, source, clusterDomain: CLUSTER_DOMAIN, log: testLog, concurrency: 2, intervalMs: 200 });

    writer.lead(leadership.signal);
    await writer.idle();
    const sent = patches.filter((p) => names.has(p.name));
    // the third answer ended leadership; at most the other worker's patch was already on its way
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(sent.length).toBeLessThanOrEqual(4);
    const moved = (await vsBackend.list(HUB_NAMESPACE, managedSelector(ctx.prefix))).items.filter(
      (vs) => names.has(vs.metadata.name) && lastActivityOf(vs) === iso(start + HOUR),
    );
    expect(moved.map((vs) => vs.metadata.name).sort()).toEqual(sent.map((p) => p.name).sort());

    // no pass after that: the source is not asked again
    const asked = source.asked;
    await new Promise((r) => setTimeout(r, 1000));
    expect(source.asked).toBe(asked);
    expect(patches.length).toBe(sent.length);
  });

  it('with two replicas behind one Lease, only the leader’s patches reach the apiserver, across a hand-over', async () => {
    const start = Date.now() - 3 * HOUR;
    const routes = await createRoutes([uniqueName('finn'), uniqueName('gus')], start);
    const names = new Set(routes.map((r) => r.metadata.name));
    const leaseName = uniqueName('hubmesh-test-activity');
    cleanups.push(() =>
      admin
        .backend<Lease>(leaseKind)
        .delete(HUB_NAMESPACE, leaseName)
        .catch((e: unknown) => {
          if (!isNotFound(e)) throw e;
        }),
    );

    const terms: Array<{ replica: string; start: number; end?: number }> = [];
    const replica = async (id: string, signatureMs: number) => {
      const { store, patches } = await routeStore();
      // every replica sees traffic "now"; the last digit of the milliseconds tells whose timestamp was written
      const source = new ChosenActivity(() => new Date(Math.floor((Date.now() - 1000) / 10) * 10 + signatureMs));
      const writer = new LastActivityWriter({ store, source, clusterDomain: CLUSTER_DOMAIN, log: testLog, intervalMs: 300 });
      const elector = new LeaderElector({
        backend: app.backend<Lease>(leaseKind),
        namespace: HUB_NAMESPACE,
        name: leaseName,
        identity: `${id}-${leaseName}`,
        leaseDurationMs: 3000,
        renewDeadlineMs: 2000,
        retryPeriodMs: 500,
        log: testLog,
        onStartedLeading: (signal) => {
          terms.push({ replica: id, start: performance.now() });
          writer.lead(signal);
        },
        onStoppedLeading: () => {
          terms.findLast((t) => t.replica === id && t.end === undefined)!.end = performance.now();
          return writer.idle();
        },
      });
      return { id, elector, patches: () => patches.filter((p) => names.has(p.name)), signatureMs };
    };
    const one = await replica('one', 1);
    const two = await replica('two', 2);
    cleanups.push(() => Promise.all([one.elector.stop(), two.elector.stop()]));
    one.elector.start();
    await new Promise((r) => setTimeout(r, 300));
    two.elector.start();

    const leaderNow = async () => {
      for (let i = 0; i < 100 && !one.elector.isLeader() && !two.elector.isLeader(); i++) await new Promise((r) => setTimeout(r, 100));
      return one.elector.isLeader() ? one : two;
    };
    const first = await leaderNow();
    const second = first === one ? two : one;
    await new Promise((r) => setTimeout(r, 2000));
    expect(first.patches().length).toBeGreaterThan(0);
    expect(second.patches()).toEqual([]);
    for (const vs of await Promise.all(routes.map(stored))) expect(new Date(lastActivityOf(vs)!).getMilliseconds() % 10).toBe(first.signatureMs);

    await first.elector.stop();
    const handedOver = await leaderNow();
    expect(handedOver).toBe(second);
    await new Promise((r) => setTimeout(r, 2000));
    await second.elector.stop();

    expect(second.patches().length).toBeGreaterThan(0);
    for (const vs of await Promise.all(routes.map(stored))) expect(new Date(lastActivityOf(vs)!).getMilliseconds() % 10).toBe(second.signatureMs);
    // every patch was sent while its replica led, and the two terms never overlapped
    for (const r of [one, two]) {
      for (const p of r.patches()) {
        expect(terms.some((t) => t.replica === r.id && t.start <= p.at && p.at <= t.end!), `${r.id} patched ${p.name} outside its term`).toBe(true);
      }
    }
    expect(terms.map((t) => t.replica)).toEqual([first.id, second.id]);
    expect(terms[1]!.start).toBeGreaterThanOrEqual(terms[0]!.end!);
    // and the timestamps a route received only ever moved forward
    for (const name of names) {
      const written = [...first.patches(), ...second.patches()].filter((p) => p.name === name).map((p) => Date.parse(p.lastActivity));
      expect(written).toEqual([...written].sort((a, b) => a - b));
    }
  });
});
