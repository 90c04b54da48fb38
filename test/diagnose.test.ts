import { randomBytes } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DiagnoseAnswer } from '@/lib/diagnose/api';
import type { VirtualService } from '@/lib/kube/virtualservices';
import { clients, eventually, HUB_NAMESPACE, notebookPod, uniqueName } from './helpers';
import { startHubmesh, type HubmeshProcess } from './hubmesh-process';
import { removeSpawnedObjects, startHub, type HubProcess } from './jupyterhub/hub-process';
import { Oracle, oracleBinary } from './oracle/client';
import { objectsYaml, serviceObjects } from './oracle/routing-case';
import { startPrometheus, type PrometheusServer } from './prometheus/harness';
import { startIstioExporter, type IstioExporter } from './prometheus/exporter';

/**
 * "Why can't <user> reach their server?" on the real apiserver: for each hop, a scene that breaks it (created by the
 * admin in the hub namespace, the route through hubmesh's proxy API as the hub would POST it), and the diagnosis
 * hubmesh answers from its watch caches must fail that hop and name the object and the fix. A healthy server passes
 * every hop it can judge, its traffic from Debian's Prometheus scraping a test exporter. The base URL cases run
 * against a real JupyterHub 3.0 with base_url /jhub/, which hubmesh asks through its REST API.
 */

const ROOT = 'istio-system';
const adminToken = randomBytes(16).toString('hex');
const crd = (group: string, plural: string, namespace = HUB_NAMESPACE) => ({ group, version: 'v1', namespace, plural });
const vsGroup = crd('networking.istio.io', 'virtualservices');
const gwGroup = crd('networking.istio.io', 'gateways');
const drGroup = crd('networking.istio.io', 'destinationrules');
const paGroup = crd('security.istio.io', 'peerauthentications');
const fqdn = (service: string) => `${service}.${HUB_NAMESPACE}.svc.cluster.local`;

type Hop = DiagnoseAnswer['hops'][number];
const hopOf = (answer: DiagnoseAnswer, id: string): Hop => answer.hops.find((h) => h.id === id)!;
const statuses = (answer: DiagnoseAnswer) => Object.fromEntries(answer.hops.map((h) => [h.id, h.status]));

/** A Gateway of this run: port 80, the run's host. */
const gatewayObject = (name: string, host: string) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'Gateway',
  metadata: { name },
  spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [host] }] },
});

describe('diagnosis of a user server, hop by hop', () => {
  const { adminCore, adminCustom } = clients();
  const run = uniqueName('dg');
  const host = `${run}.hub.test`;
  const gatewayName = `${run}-gw`;
  const cleanups: Array<() => Promise<unknown>> = [];
  const users = {
    healthy: `${run}-ok`,
    noService: `${run}-nosvc`,
    tcpPort: `${run}-tcp`,
    notReady: `${run}-notready`,
    noSidecar: `${run}-bare`,
    plaintext: `${run}-plain`,
    shadowed: `${run}-shadow`,
    unreachable: `${run}-uf`,
  };
  const service = (user: string) => `jupyter-${user}`;
  let exporter: IstioExporter;
  let prometheus: PrometheusServer;
  let hm: HubmeshProcess;

  const api = (path: string, init: RequestInit = {}) => fetch(`${hm.url}${path}`, { ...init, headers: { authorization: `Bearer ${adminToken}`, ...(init.headers as Record<string, string>) } });
  const diagnoseUrl = (user: string) => `/api/v1/users/${encodeURIComponent(user)}/diagnose`;

  /** The diagnosis once `ready` holds for it (the watch caches and Prometheus catch up). */
  async function diagnosisWhen(user: string, ready: (a: DiagnoseAnswer) => boolean, what: string, timeoutMs = 30_000): Promise<DiagnoseAnswer> {
    let last: unknown;
    try {
      return await eventually(
        async () => {
          const r = await api(diagnoseUrl(user));
          const body = (await r.json()) as DiagnoseAnswer;
          last = body;
          return r.ok && ready(body) ? body : undefined;
        },
        `${user}'s diagnosis: ${what}`,
        timeoutMs,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\nlast answer: ${JSON.stringify(last, null, 1)}`);
    }
  }

  async function createPod(pod: V1Pod) {
    const name = pod.metadata!.name!;
    cleanups.push(() => adminCore.deleteNamespacedPod({ namespace: HUB_NAMESPACE, name, gracePeriodSeconds: 0 }));
    await adminCore.createNamespacedPod({ namespace: HUB_NAMESPACE, body: pod });
  }
  async function createService(name: string, portName: string) {
    cleanups.push(() => adminCore.deleteNamespacedService({ namespace: HUB_NAMESPACE, name }));
    await adminCore.createNamespacedService({ namespace: HUB_NAMESPACE, body: { metadata: { name }, spec: { selector: { app: name }, ports: [{ name: portName, port: 8888, targetPort: 8888 }] } } });
  }
  async function createObject(group: ReturnType<typeof crd>, body: { metadata: { name: string } }) {
    cleanups.push(() => adminCustom.deleteNamespacedCustomObject({ ...group, name: body.metadata.name }));
    await adminCustom.createNamespacedCustomObject({ ...group, body });
  }
  /** The route as the hub POSTs it for a user's default server. */
  async function addRoute(user: string) {
    const r = await hm.api(`/api/routes/user/${encodeURIComponent(user)}`, { method: 'POST', body: JSON.stringify({ target: `http://${service(user)}:8888`, user, server_name: '', jupyterhub: true }) });
    expect(r.status, await r.text()).toBe(201);
  }
  /** The user's notebook pod on the kwok node (Running and ready there), labelled for its Service. */
  const userPod = (user: string, options: { sidecar?: boolean } = {}): V1Pod => {
    const pod = notebookPod(service(user), user, options);
    pod.metadata!.labels!.app = service(user);
    return pod;
  };
  /** A whole healthy server: pod, Service with port "http", route. */
  async function server(user: string, options: { portName?: string | false; sidecar?: boolean; pod?: V1Pod } = {}) {
    await createPod(options.pod ?? userPod(user, { sidecar: options.sidecar }));
    if (options.portName !== false) await createService(service(user), options.portName ?? 'http');
    await addRoute(user);
  }

  beforeAll(async () => {
    await createObject(gwGroup, gatewayObject(gatewayName, host));
    exporter = await startIstioExporter();
    const destination = (user: string) => ({ namespace: HUB_NAMESPACE, service: service(user) });
    const gatewaySource = { namespace: ROOT, workload: 'istio-ingressgateway', serviceAccount: 'istio-ingressgateway-service-account' };
    exporter.requests({ source: gatewaySource, destination: destination(users.healthy), policy: 'mutual_tls' }, 5);
    // the gateway could not connect to this one: its 503 UF,URX never reached the notebook's sidecar
    exporter.requests({ source: gatewaySource, destination: destination(users.unreachable), policy: 'unknown', reporter: 'source', responseCode: 503, responseFlags: 'UF,URX' }, 3);
    exporter.requests({ source: gatewaySource, destination: destination(users.unreachable), policy: 'mutual_tls' }, 1);
    prometheus = await startPrometheus({ targets: [exporter.target] });
    hm = await startHubmesh({
      kubeconfig: inject('appKubeconfig'),
      prefix: run,
      env: { HUBMESH_ADMIN_TOKEN: adminToken, HUBMESH_GATEWAY: `${HUB_NAMESPACE}/${gatewayName}`, HUBMESH_HOSTS: host, HUBMESH_PROMETHEUS_URL: prometheus.url, HUBMESH_ACTIVITY_INTERVAL_S: '0' },
    });
  }, 90_000);

  afterAll(async () => {
    await adminCustom.deleteCollectionNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${run}` }).catch(() => undefined);
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await hm?.stop();
    await prometheus?.stop();
    await exporter?.close();
  });

  it('passes every hop it can judge for a healthy server, its traffic read from Prometheus', async () => {
    await server(users.healthy);
    const answer = await diagnosisWhen(users.healthy, (a) => hopOf(a, 'traffic').status !== 'unknown' && hopOf(a, 'pod').status === 'pass', 'pod ready and traffic seen', 45_000);
    expect(statuses(answer)).toEqual({ route: 'pass', routing: 'pass', destination: 'pass', pod: 'pass', mtls: 'pass', access: 'pass', traffic: 'pass', hub: 'unknown' });
    expect(answer).toMatchObject({ user: users.healthy, server: '', path: `/user/${users.healthy}/`, verdict: 'ok', servers: [''] });
    const traffic = /^([\d.]+) requests to (\S+) in the last 1h, none failed with 5xx\.$/.exec(hopOf(answer, 'traffic').summary);
    expect(traffic?.[2]).toBe(fqdn(service(users.healthy)));
    // the test's own PromQL at the moment hubmesh checked: the same count, give or take one scrape (5 requests)
    const own = await fetch(`${prometheus.url}/api/v1/query`, {
      method: 'POST',
      body: new URLSearchParams({ query: `sum(increase(istio_requests_total{destination_service="${fqdn(service(users.healthy))}"}[1h]))`, time: String(Date.parse(answer.checkedAt) / 1000) }),
    });
    const expected = Number(((await own.json()) as { data: { result: Array<{ value: [number, string] }> } }).data.result[0]!.value[1]);
    expect(expected).toBeGreaterThan(0);
    expect(Math.abs(Number(traffic![1]) - expected)).toBeLessThanOrEqual(5);
    expect(hopOf(answer, 'hub').summary).toContain('the hub API is not configured');
    expect(hopOf(answer, 'route').evidence[0]).toMatchObject({ label: 'VirtualService', ref: { kind: 'VirtualService', namespace: HUB_NAMESPACE } });
    expect(answer.report).toContain(`# hubmesh diagnosis: ${users.healthy}'s default server`);
  });

  it('hop 3 fails when the Service is missing, and the fix names it', async () => {
    await server(users.noService, { portName: false });
    const answer = await diagnosisWhen(users.noService, (a) => hopOf(a, 'destination').status === 'fail', 'destination failing');
    const hop = hopOf(answer, 'destination');
    expect(hop.summary).toContain(`Service ${HUB_NAMESPACE}/${service(users.noService)} does not exist`);
    expect(hop.fix).toContain(`KubeSpawner creates Service ${service(users.noService)}`);
    expect(answer.verdict).toBe('failing');
  });

  it('hop 3 fails when the Service port is named tcp-web, and the fix says to name it http', async () => {
    await server(users.tcpPort, { portName: 'tcp-web' });
    const answer = await diagnosisWhen(users.tcpPort, (a) => hopOf(a, 'destination').status === 'fail', 'destination failing');
    const hop = hopOf(answer, 'destination');
    expect(hop.summary).toContain('port 8888 ("tcp-web")');
    expect(hop.fix).toBe(`Name port 8888 of Service ${HUB_NAMESPACE}/${service(users.tcpPort)} "http" (or "http-<anything>"), or set its appProtocol to http.`);
  });

  it("hop 4 fails when the notebook is not ready, as a kubelet reports it", async () => {
    // kwok makes every container ready: this pod lives on a node no kubelet manages, its status written as a kubelet would
    const node = uniqueName('hubmesh-no-kubelet');
    cleanups.push(() => adminCore.deleteNode({ name: node }));
    await adminCore.createNode({ body: { apiVersion: 'v1', kind: 'Node', metadata: { name: node, labels: { 'kubernetes.io/hostname': node } } } });
    const base = userPod(users.notReady);
    const pod: V1Pod = { ...base, spec: { containers: base.spec!.containers, nodeName: node } };
    await server(users.notReady, { pod });
    const current = await eventually(async () => {
      const p = await adminCore.readNamespacedPod({ namespace: HUB_NAMESPACE, name: service(users.notReady) });
      return p.spec?.nodeName ? p : undefined;
    }, 'the pod bound to the node');
    const now = new Date();
    const condition = (type: string, status: 'True' | 'False') => ({ type, status, lastTransitionTime: now });
    await adminCore.replaceNamespacedPodStatus({
      namespace: HUB_NAMESPACE,
      name: service(users.notReady),
      body: {
        ...current,
        status: {
          phase: 'Running',
          podIP: '10.250.0.19',
          startTime: now,
          conditions: [condition('PodScheduled', 'True'), condition('Initialized', 'True'), condition('ContainersReady', 'False'), condition('Ready', 'False')],
          containerStatuses: base.spec!.containers.map((c) => ({ name: c.name, image: c.image!, imageID: '', ready: c.name === 'istio-proxy', started: true, restartCount: 0, state: { running: { startedAt: now } } })),
        },
      },
    });
    const answer = await diagnosisWhen(users.notReady, (a) => hopOf(a, 'pod').status === 'fail' && hopOf(a, 'pod').summary.includes('runs'), 'pod failing');
    const hop = hopOf(answer, 'pod');
    expect(hop.summary).toBe(`Pod ${HUB_NAMESPACE}/${service(users.notReady)} runs, but only 1 of its 2 containers are ready: the notebook fails its readiness probe.`);
    expect(hop.fix).toContain("Read the notebook container's log");
  });

  it('hop 4 fails for a pod without a sidecar, and the fix says how to get one', async () => {
    await server(users.noSidecar, { sidecar: false });
    const answer = await diagnosisWhen(users.noSidecar, (a) => hopOf(a, 'pod').status === 'fail' && hopOf(a, 'pod').summary.includes('sidecar'), 'pod failing');
    const hop = hopOf(answer, 'pod');
    expect(hop.summary).toContain(`Pod ${HUB_NAMESPACE}/${service(users.noSidecar)} has no istio-proxy sidecar`);
    expect(hop.fix).toContain('restart the server so the injector adds istio-proxy');
  });

  it('hop 5 fails for a DISABLE DestinationRule under a STRICT PeerAuthentication, and the fix names the rule', async () => {
    await server(users.plaintext);
    const dr = `${run}-plain-dr`;
    const pa = `${run}-strict`;
    await createObject(paGroup, { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: pa }, spec: { selector: { matchLabels: { app: service(users.plaintext) } }, mtls: { mode: 'STRICT' } } } as never);
    await createObject(drGroup, { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: dr }, spec: { host: service(users.plaintext), trafficPolicy: { tls: { mode: 'DISABLE' } } } } as never);
    const answer = await diagnosisWhen(users.plaintext, (a) => hopOf(a, 'mtls').status === 'fail', 'mTLS failing');
    const hop = hopOf(answer, 'mtls');
    expect(hop.summary).toContain(`DestinationRule ${HUB_NAMESPACE}/${dr} sets tls.mode DISABLE`);
    expect(hop.summary).toContain(`PeerAuthentication ${HUB_NAMESPACE}/${pa} (STRICT for the Service's pods)`);
    expect(hop.fix).toBe(`Set tls.mode ISTIO_MUTUAL in DestinationRule ${HUB_NAMESPACE}/${dr}, or remove its tls setting so that auto mTLS chooses.`);
    expect(statuses(answer)).toMatchObject({ route: 'pass', routing: 'pass', destination: 'pass', pod: 'pass' });
  });

  it('hop 2 fails for a route shadowed by an older foreign VirtualService on the same gateway, as Istio itself routes it', async () => {
    const user = users.shadowed;
    const foreign = `${run}-grabber`;
    const elsewhere = `${run}-elsewhere`;
    await createObject(vsGroup, {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: foreign },
      spec: { hosts: [host], gateways: [`${HUB_NAMESPACE}/${gatewayName}`], http: [{ match: [{ uri: { prefix: '/user/' } }], route: [{ destination: { host: fqdn(elsewhere), port: { number: 80 } } }] }] },
    } as never);
    // istiod orders by creation second: the route must be younger
    await new Promise((r) => setTimeout(r, 1_100));
    await server(user);
    const answer = await diagnosisWhen(user, (a) => hopOf(a, 'routing').status === 'fail', 'routing failing');
    const hop = hopOf(answer, 'routing');
    expect(hop.summary).toContain(`VirtualService ${HUB_NAMESPACE}/${foreign} (not a hub route) comes first on ${host} and its prefix /user/ takes /user/${user}/`);
    expect(hop.fix).toContain(`Narrow the match of VirtualService ${HUB_NAMESPACE}/${foreign}`);
    expect(hop.evidence).toContainEqual(expect.objectContaining({ label: `Serves /user/${user}/`, ref: { kind: 'VirtualService', namespace: HUB_NAMESPACE, name: foreign } }));

    // Istio's own config generator, given the same objects as the apiserver holds them, sends the path there too
    const read = async (name: string) => (await adminCustom.getNamespacedCustomObject({ ...vsGroup, name })) as VirtualService;
    const routeName = hopOf(answer, 'route').evidence[0]!.ref!.name;
    const gateway = await adminCustom.getNamespacedCustomObject({ ...gwGroup, name: gatewayName });
    const oracle = new Oracle(oracleBinary());
    try {
      const verdict = await oracle.judge({
        objects: objectsYaml([gateway, ...serviceObjects(HUB_NAMESPACE, [`http://${elsewhere}:80`, `http://${service(user)}:8888`]), await read(foreign), await read(routeName)]),
        requests: [{ host, path: `/user/${user}/` }],
      });
      expect(verdict.error).toBe('');
      expect(verdict.results[0]).toMatchObject({ virtualService: expect.stringContaining(foreign), cluster: `outbound|80||${fqdn(elsewhere)}` });
    } finally {
      oracle.close();
    }
  });

  it("hop 7 fails for the gateway's 503 UF,URX and says in plain words that it could not connect", async () => {
    await server(users.unreachable);
    const answer = await diagnosisWhen(users.unreachable, (a) => hopOf(a, 'traffic').status === 'fail', 'traffic failing', 45_000);
    const hop = hopOf(answer, 'traffic');
    expect(hop.summary).toContain('failed with 5xx');
    expect(hop.summary).toContain('most were 503 UF,URX: the gateway could not connect to the notebook (503); the request failed after every retry');
    // 3 failed and 1 served per second: the shares the exporter publishes
    const [failed, total] = /^(\d+) of (\d+) requests/.exec(hop.summary)!.slice(1).map(Number);
    expect(failed! / total!).toBeCloseTo(3 / 4, 1);
    expect(hop.fix).toMatch(/^Check that the pod's sidecar is ready, the Service's port and any NetworkPolicy/);
  });

  it('answers 404 for a user without route or pod, 400 for a bad server name, and 409 for a probe without a gateway URL', async () => {
    const missing = await api(diagnoseUrl(`${run}-nobody`));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'not-found', error: `no route and no pod for ${run}-nobody's default server` });
    const bad = await api(`${diagnoseUrl(users.healthy)}?server=a%2Fb`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'invalid-input', field: 'server' });
    const probe = await api(`/api/v1/users/${users.healthy}/probe`, { method: 'POST' });
    expect(probe.status).toBe(409);
    expect((await probe.json()) as { error: string }).toMatchObject({ code: 'not-configured', error: expect.stringContaining('HUBMESH_GATEWAY_URL') });
  });
});

describe("diagnosis of the hub's base URL, against a real JupyterHub 3.0", () => {
  const { adminCore, adminCustom } = clients();
  const run = uniqueName('dgb');
  const host = `${run}.hub.test`;
  const gatewayName = `${run}-gw`;
  const user = `${run}-ada`;
  const serviceToken = randomBytes(24).toString('hex');
  let proxy: HubmeshProcess;
  let hm: HubmeshProcess;
  let hub: HubProcess | undefined;
  const env = { HUBMESH_ADMIN_TOKEN: adminToken, HUBMESH_GATEWAY: `${HUB_NAMESPACE}/${gatewayName}`, HUBMESH_HOSTS: host, HUBMESH_ACTIVITY_INTERVAL_S: '0' };
  const diagnosis = async () => {
    const r = await fetch(`${hm.url}/api/v1/users/${user}/diagnose`, { headers: { authorization: `Bearer ${adminToken}` } });
    return { status: r.status, body: (await r.json()) as DiagnoseAnswer };
  };

  beforeAll(async () => {
    await adminCustom.createNamespacedCustomObject({ ...gwGroup, body: gatewayObject(gatewayName, host) });
    // the hub's proxy first (the hub needs it to start), then a replica that asks the hub's API, with the same prefix
    proxy = await startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix: run, env });
    hub = await startHub({
      proxyUrl: proxy.url,
      proxyToken: proxy.token,
      kubeconfig: inject('adminKubeconfig'),
      namespace: HUB_NAMESPACE,
      baseUrl: '/jhub/',
      hubRouteRegistered: async () => '/jhub' in (await (await proxy.api('/api/routes')).json()),
      services: [{ name: 'hubmesh', api_token: serviceToken }],
      roles: [{ name: 'hubmesh-diagnosis', scopes: ['read:users', 'read:servers'], services: ['hubmesh'] }],
    });
    hm = await startHubmesh({
      kubeconfig: inject('appKubeconfig'),
      prefix: run,
      env: {
        ...env,
        HUBMESH_HUB_URL: `http://${host}/jhub/`,
        JUPYTERHUB_API_URL: hub.apiUrl,
        HUBMESH_HUB_CLIENT_SECRET: serviceToken,
        HUBMESH_HUB_REDIRECT_URI: `http://${host}/jhub/hubmesh/login/hub/callback`,
      },
    });
    const call = async (path: string, init: RequestInit) => {
      const r = await hub!.api(path, init);
      if (!r.ok) throw new Error(`hub ${init.method} ${path}: ${r.status} ${await r.text()}\n${hub!.output().slice(-4000)}`);
    };
    await call(`/users/${user}`, { method: 'POST' });
    await call(`/users/${user}/server`, { method: 'POST' });
    await eventually(async () => `/jhub/user/${user}` in (await (await proxy.api('/api/routes')).json()) || undefined, `the hub's route for ${user}`, 60_000);
  }, 180_000);

  afterAll(async () => {
    await hub?.api(`/users/${user}/server`, { method: 'DELETE' }).catch(() => undefined);
    if (hub) await removeSpawnedObjects(hub, adminCore, HUB_NAMESPACE);
    await hub?.stop().catch(() => undefined);
    await hm?.stop();
    await proxy?.stop();
    await adminCustom.deleteCollectionNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${run}` }).catch(() => undefined);
    await adminCustom.deleteNamespacedCustomObject({ ...gwGroup, name: gatewayName }).catch(() => undefined);
  });

  it("passes when the hub's server URL under base_url /jhub/ is the route's, below the hub route at /jhub", async () => {
    const { body } = await eventually(async () => {
      const d = await diagnosis();
      return d.status === 200 && hopOf(d.body, 'hub').status === 'pass' ? d : undefined;
    }, 'the hub hop to pass');
    const hop = hopOf(body, 'hub');
    expect(hop.summary).toBe(`The hub sends ${user} to /jhub/user/${user}/, which the route serves; the hub route /jhub is not rewritten and no route rewrites the Host.`);
    expect(hop.evidence).toContainEqual({ label: 'Base URL', value: '/jhub/' });
    expect(body.path).toBe(`/jhub/user/${user}/`);
    expect(statuses(body)).toMatchObject({ route: 'pass', routing: 'pass', destination: 'pass' });
  });

  it('fails when the hub route rewrites the path under the base URL (the redirect loop), and names the route', async () => {
    const routes = (await (await proxy.api('/api/routes')).json()) as Record<string, { target: string }>;
    const original = routes['/jhub']!;
    // what a hub_connect_url with a path does: the target's path is put before the request's
    const posted = await proxy.api('/api/routes/jhub', { method: 'POST', body: JSON.stringify({ ...original, target: `${original.target.replace(/\/$/, '')}/jhub` }) });
    expect(posted.status).toBe(201);
    try {
      const { body } = await eventually(async () => {
        const d = await diagnosis();
        return hopOf(d.body, 'hub').status === 'fail' ? d : undefined;
      }, 'the hub hop to fail');
      const hop = hopOf(body, 'hub');
      expect(hop.summary).toMatch(/^The hub route \/jhub \(VirtualService jupyterhub\/\S+\) rewrites the request path, so the hub sees another path than the browser asked for and redirects back to its base URL: a redirect loop\./);
      expect(hop.fix).toContain("Give the hub's route a target without a path");
      expect(body.report).toContain('redirect loop');
      expect(body.report).not.toContain(serviceToken);
      expect(body.report).not.toContain(adminToken);
    } finally {
      await proxy.api('/api/routes/jhub', { method: 'POST', body: JSON.stringify(original) });
    }
  });
});
