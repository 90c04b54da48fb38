import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '@/lib/config';
import { connect } from '@/lib/kube/connection';
import { isNotFound } from '@/lib/kube/errors';
import { eventKind, type KubeEvent } from '@/lib/kube/events';
import { leaderElected, type LeaderElector } from '@/lib/kube/leader-election';
import { leaseKind, type Lease } from '@/lib/kube/leases';
import { virtualServiceKind, type VirtualService } from '@/lib/kube/virtualservices';
import { parsePreviewInput, type PreviewInput } from '@/lib/routes/overlays';
import { changePipeline, eventRecorder } from '@/lib/changes/pipeline';
import { Janitor, JANITOR_ACTOR, previewExpiry, recordAsJanitor } from '@/lib/routes/janitor';
import { PreviewService } from '@/lib/routes/previews';
import { HUB_API_GUARD_RULE, routeFromObject, type RenderContext } from '@/lib/routes/virtualservice';
import { ANNOTATIONS } from '@/lib/kube/labels';
import { CLUSTER_DOMAIN, routeReplica, testRenderContext } from './route-replica';
import { clients, eventually, HUB_NAMESPACE, testLog } from './helpers';

const vsGroup = { group: 'networking.istio.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'virtualservices' };
const { adminCore, adminCustom } = clients();
const connectAs = (kubeconfig: string) => connect(parseConfig({ KUBECONFIG: kubeconfig, HUBMESH_NAMESPACE: HUB_NAMESPACE }));
const app = connectAs(inject('appKubeconfig'));
const admin = connectAs(inject('adminKubeconfig'));

const ctx = testRenderContext('pv');
const suffix = ctx.prefix.slice(2);
const hubService = `hub-pv-${suffix}`;
const user = `pv-${suffix}`;
const notebook = `jupyter-pv-${suffix}`;
const demo = `demo-pv-${suffix}`;
const userPath = `/user/${user}`;

const replicas: Array<Awaited<ReturnType<typeof routeReplica>>> = [];
const electors: LeaderElector[] = [];
/** The previews' clock: the janitor test moves it past a TTL (the public minimum stays 5 minutes). */
const clock = { offsetMs: 0 };

/** RouteService and PreviewService as the runtime builds them, as the app identity on the real apiserver. */
async function replica(overrides: Partial<RenderContext> = {}) {
  const r = await routeReplica(app, { ...ctx, ...overrides });
  replicas.push(r);
  const previews = new PreviewService({ routes: r.routes, store: r.store, hostRouting: false, log: testLog, now: () => new Date(Date.now() + clock.offsetMs) });
  return { routes: r.routes, previews };
}

const stored = (name: string) => adminCustom.getNamespacedCustomObject({ ...vsGroup, name }) as Promise<VirtualService>;
const input = (fields: Record<string, unknown>): PreviewInput => {
  const parsed = parsePreviewInput({ service: demo, port: 80, ttl: '1h', ...fields });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.input;
};
const janitorEvents = async (virtualServices: string[]) =>
  (await app.backend<KubeEvent>(eventKind).list(HUB_NAMESPACE)).items.filter((e) => e.reason === 'PreviewExpired' && virtualServices.includes(e.regarding.name));

describe('preview routes on the real apiserver', () => {
  let hubmesh: Awaited<ReturnType<typeof replica>>;
  let hubVs: VirtualService;
  let userVs: VirtualService;

  beforeAll(async () => {
    const service = (name: string, ports: Array<{ name: string; port: number }>) =>
      adminCore.createNamespacedService({ namespace: HUB_NAMESPACE, body: { metadata: { name }, spec: { selector: { app: name }, ports } } });
    await service(hubService, [{ name: 'http', port: 8081 }]);
    await service(notebook, [{ name: 'http', port: 8888 }]);
    await service(demo, [
      { name: 'http', port: 80 },
      { name: 'metrics', port: 9090 },
    ]);
    hubmesh = await replica();
    await eventually(() => (replicas[0]!.services.cache.get(demo) ? true : undefined), 'the Services cache to hold the demo Service');
    hubVs = await stored((await hubmesh.routes.upsert('/', { target: `http://${hubService}:8081` })).name);
    userVs = await stored((await hubmesh.routes.upsert(userPath, { target: `http://${notebook}:8888`, user, server_name: '' })).name);
  });

  afterAll(async () => {
    await Promise.all(electors.map((e) => e.stop()));
    for (const r of replicas) r.stop();
    await adminCustom.deleteCollectionNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${ctx.prefix}` });
    for (const name of [hubService, notebook, demo]) await adminCore.deleteNamespacedService({ namespace: HUB_NAMESPACE, name }).catch(() => undefined);
    await admin.backend<Lease>(leaseKind).delete(HUB_NAMESPACE, `${ctx.prefix}-preview-janitor`).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
    const events = admin.backend<KubeEvent>(eventKind);
    for (const e of await janitorEvents([hubVs.metadata.name, userVs.metadata.name])) await events.delete(HUB_NAMESPACE, e.metadata.name).catch(() => undefined);
  });

  it('creates previews on "/" and on a user route, as Istio’s CRD accepts them, before the catch-all rule', async () => {
    const onHub = await hubmesh.previews.create(input({ name: `hub-${suffix}` }), { owner: user, isAdmin: false });
    const onUser = await hubmesh.previews.create(input({ name: `lab-${suffix}`, pathPrefix: `${userPath}/lab`, match: { header: false } }), { owner: user, isAdmin: false });
    expect(onHub.preview).toMatchObject({ route: '/', virtualService: hubVs.metadata.name, expired: false });
    expect(onUser.preview).toMatchObject({ route: userPath, virtualService: userVs.metadata.name });

    const hub = await stored(hubVs.metadata.name);
    expect(hub.metadata.resourceVersion).toBe(onHub.after.metadata.resourceVersion);
    expect(hub.spec.http?.map((r) => r.name)).toEqual([HUB_API_GUARD_RULE, `preview-hub-${suffix}`, 'route']);
    // on the catch-all, a preview keeps off the first segments that hold more specific routes (here /user/...)
    const offUser = '/(?:|[^u].*|u(?:|[^s].*|s(?:|[^e].*|e(?:|[^r].*|r(?:[^/].*)))))';
    expect(hub.spec.http?.[1]).toMatchObject({
      match: [
        { uri: { regex: offUser }, headers: { 'x-hubmesh-preview': { exact: `hub-${suffix}` } } },
        { uri: { regex: offUser }, headers: { cookie: { regex: `^(.*?;\\s*)?hubmesh-preview=hub-${suffix}(;.*)?$` } } },
      ],
      route: [{ destination: { host: `${demo}.${HUB_NAMESPACE}.svc.${CLUSTER_DOMAIN}`, port: { number: 80 } } }],
    });
    const userStored = await stored(userVs.metadata.name);
    expect(userStored.spec.http?.map((r) => r.name)).toEqual([`preview-lab-${suffix}`, 'route']);
    expect(userStored.spec.http?.[0]?.match).toEqual([
      { uri: { prefix: `${userPath}/lab/` }, headers: { cookie: { regex: `^(.*?;\\s*)?hubmesh-preview=lab-${suffix}(;.*)?$` } } },
      { uri: { exact: `${userPath}/lab` }, headers: { cookie: { regex: `^(.*?;\\s*)?hubmesh-preview=lab-${suffix}(;.*)?$` } } },
    ]);
    expect(routeFromObject(userStored)?.overlays.previews).toEqual([expect.objectContaining({ name: `lab-${suffix}`, owner: user, pathPrefix: `${userPath}/lab` })]);

    await hubmesh.previews.remove(`hub-${suffix}`);
    await hubmesh.previews.remove(`lab-${suffix}`);
  });

  it('a dry run answers with what the apiserver would store, and stores nothing', async () => {
    const before = await stored(userVs.metadata.name);
    const { after } = await hubmesh.previews.create(input({ name: `dry-${suffix}`, pathPrefix: userPath }), { owner: user, isAdmin: false, dryRun: true });
    expect((after as VirtualService).spec.http?.map((r) => r.name)).toEqual([`preview-dry-${suffix}`, 'route']);
    const unchanged = await stored(userVs.metadata.name);
    expect(unchanged.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(hubmesh.previews.get(`dry-${suffix}`)).toBeUndefined();
  });

  it('a change the apiserver refuses is refused at the dry run, with its message, and nothing is stored', async () => {
    // a replica whose route timeout the CRD's CEL rule refuses: every re-render of a route fails at the apiserver
    const misconfigured = await replica({ routeTimeout: '0.5ms' });
    const before = await stored(userVs.metadata.name);
    await expect(misconfigured.previews.create(input({ name: `bad-${suffix}`, pathPrefix: userPath }), { owner: user, isAdmin: false, dryRun: true })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/^the apiserver refused the VirtualService: .*must be a valid duration greater than 1ms/),
    });
    expect((await stored(userVs.metadata.name)).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(hubmesh.previews.get(`bad-${suffix}`)).toBeUndefined();
  });

  it('extends a preview from now, and removing it restores the plain route', async () => {
    const plain = await stored(userVs.metadata.name);
    await hubmesh.previews.create(input({ name: `ext-${suffix}`, pathPrefix: userPath, ttl: '30m' }), { owner: user, isAdmin: false });
    const { preview, after } = await hubmesh.previews.extend(`ext-${suffix}`, 3 * 24 * 3600_000);
    expect(Date.parse(preview.expiresAt) - Date.now()).toBeGreaterThan(3 * 24 * 3600_000 - 60_000);
    expect(routeFromObject(await stored(userVs.metadata.name))?.overlays.previews?.[0]?.expiresAt).toBe(preview.expiresAt);
    expect(after.metadata.resourceVersion).toBe((await stored(userVs.metadata.name)).metadata.resourceVersion);

    await hubmesh.previews.remove(`ext-${suffix}`);
    const back = await stored(userVs.metadata.name);
    expect(back.spec).toEqual(plain.spec);
    expect(back.metadata.annotations?.[ANNOTATIONS.overlays]).toBeUndefined();
  });

  it('refuses to shadow the hub API for a non-admin, and lets an admin allow it', async () => {
    await expect(hubmesh.previews.create(input({ name: `api-${suffix}`, pathPrefix: '/hub/api' }), { owner: user, isAdmin: false })).rejects.toMatchObject({ status: 403, message: expect.stringMatching(/^pathPrefix: /) });
    await expect(hubmesh.previews.create(input({ name: `api-${suffix}`, pathPrefix: '/hub/api', allowShadow: true }), { owner: user, isAdmin: false })).rejects.toMatchObject({ status: 403, message: expect.stringMatching(/^allowShadow: /) });
    const { preview } = await hubmesh.previews.create(input({ name: `api-${suffix}`, pathPrefix: '/hub/api', allowShadow: true }), { owner: 'admin', isAdmin: true });
    expect(preview).toMatchObject({ route: '/', allowShadow: true });
    expect((await stored(hubVs.metadata.name)).spec.http?.map((r) => r.name)).toEqual([`preview-api-${suffix}`, 'route']);
    await hubmesh.previews.remove(`api-${suffix}`);
  });

  it("refuses a preview on another user's route, and a Service or port that is not there, naming the field", async () => {
    await expect(hubmesh.previews.create(input({ name: `other-${suffix}`, pathPrefix: `${userPath}/lab` }), { owner: 'someone-else', isAdmin: false })).rejects.toMatchObject({
      status: 403,
      message: expect.stringMatching(new RegExp(`^pathPrefix: .* of user "${user}"`)),
    });
    await expect(hubmesh.previews.create(input({ name: `gone-${suffix}`, service: `gone-${suffix}` }), { owner: user, isAdmin: false })).rejects.toMatchObject({
      status: 400,
      message: `service: no Service "gone-${suffix}" in namespace ${HUB_NAMESPACE}`,
    });
    await expect(hubmesh.previews.create(input({ name: `port-${suffix}`, port: 8080 }), { owner: user, isAdmin: false })).rejects.toMatchObject({
      status: 400,
      message: `port: Service ${demo} has no port 8080 (its ports: 80 (http), 9090 (metrics))`,
    });
    expect(hubmesh.previews.list()).toEqual([]);
  });

  it('the leader of two janitors removes expired previews, each recorded by one Event', async () => {
    const other = await replica();
    const timings = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };
    const janitors = [hubmesh, other].map(({ previews }, i) => {
      // as lib/runtime.ts wires it
      const identity = `janitor-${i}-${suffix}`;
      const janitor = new Janitor({
        sources: [previewExpiry(previews, HUB_NAMESPACE, virtualServiceKind)],
        intervalMs: 200,
        log: testLog,
        record: recordAsJanitor(changePipeline({ events: eventRecorder({ events: app.backend<KubeEvent>(eventKind), namespace: HUB_NAMESPACE, instance: identity }), log: testLog })),
      });
      const elector = leaderElected(janitor, { ...timings, backend: app.backend<Lease>(leaseKind), namespace: HUB_NAMESPACE, name: `${ctx.prefix}-preview-janitor`, identity, log: testLog });
      electors.push(elector);
      elector.start();
      return elector;
    });
    const leader = await eventually(() => janitors.find((j) => j.isLeader()), 'a janitor to lead', 10_000);

    await hubmesh.previews.create(input({ name: `short-${suffix}`, ttl: '5m' }), { owner: user, isAdmin: false });
    await hubmesh.previews.create(input({ name: `short2-${suffix}`, pathPrefix: userPath, ttl: '5m' }), { owner: user, isAdmin: false });
    await hubmesh.previews.create(input({ name: `long-${suffix}`, pathPrefix: userPath, ttl: '1h' }), { owner: user, isAdmin: false });
    // several janitor passes: nothing has expired yet
    await new Promise((r) => setTimeout(r, 1000));
    expect(hubmesh.previews.list().map((p) => p.name)).toHaveLength(3);

    clock.offsetMs = 5 * 60_000 + 1000;
    const vsNames = [hubVs.metadata.name, userVs.metadata.name];
    await eventually(async () => {
      const previews = routeFromObject(await stored(userVs.metadata.name))?.overlays.previews ?? [];
      const onHub = routeFromObject(await stored(hubVs.metadata.name))?.overlays.previews ?? [];
      return previews.length === 1 && onHub.length === 0 ? true : undefined;
    }, 'the janitor to remove the expired previews');
    expect(hubmesh.previews.list().map((p) => p.name)).toEqual([`long-${suffix}`]);
    expect((await stored(hubVs.metadata.name)).spec.http?.map((r) => r.name)).toEqual(['route']);

    // more passes of both replicas' janitors: still one Event per removal, from the leader
    await new Promise((r) => setTimeout(r, 1500));
    const events = await janitorEvents(vsNames);
    expect(events.map((e) => [e.regarding.name, e.action, e.metadata.annotations?.['hubmesh.io/actor'], e.reportingInstance]).sort()).toEqual(
      [
        [hubVs.metadata.name, 'ExpirePreview', JANITOR_ACTOR, leader.identity],
        [userVs.metadata.name, 'ExpirePreview', JANITOR_ACTOR, leader.identity],
      ].sort(),
    );
    expect(events.find((e) => e.regarding.name === hubVs.metadata.name)?.note).toContain(`preview short-${suffix} on route /`);
    expect(janitors.filter((j) => j.isLeader())).toEqual([leader]);

    clock.offsetMs = 0;
    await hubmesh.previews.remove(`long-${suffix}`);
  });
});
