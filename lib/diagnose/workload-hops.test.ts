import { describe, expect, it } from 'vitest';
import { namespace, NS, notebookPod, pod, service } from '../mesh/checkers/test-fixtures';
import { destinationHop, podHop } from './workload-hops';
import { diagnoseInput, healthyObjects, healthySnapshot, hopContext, ready, SERVICE, USER } from './test-fixtures';

const ctxWith = (parts: Parameters<typeof healthySnapshot>[0] = {}, expectedSidecarVersion = '1.28.1') => hopContext(diagnoseInput(healthySnapshot(parts), { expectedSidecarVersion }));

describe('hop 3: the destination Service', () => {
  it('passes with the Service, its HTTP port and the pod it selects', () => {
    const hop = destinationHop(ctxWith());
    expect(hop).toMatchObject({ status: 'pass', summary: `Service ${NS}/${SERVICE} exists, selects ${SERVICE}, and port 8888 is declared HTTP.` });
    expect(hop.evidence).toContainEqual({ label: 'Port', value: '8888 "http": HTTP' });
  });

  it('fails when the Service is missing, with the fix naming it', () => {
    const hop = destinationHop(ctxWith({ services: [] }));
    expect(hop.status).toBe('fail');
    expect(hop.summary).toContain(`Service ${NS}/${SERVICE} does not exist`);
    expect(hop.fix).toContain(`KubeSpawner creates Service ${SERVICE}`);
  });

  it('fails when the Service lacks the port, or declares it TCP; warns when it leaves it to sniffing', () => {
    const noPort = destinationHop(ctxWith({ services: [service(SERVICE, [{ name: 'http', port: 9999 }])] }));
    expect(noPort.status).toBe('fail');
    expect(noPort.summary).toContain('which exposes ports 9999');
    const tcp = destinationHop(ctxWith({ services: [service(SERVICE, [{ name: 'tcp-web', port: 8888 }])] }));
    expect(tcp.status).toBe('fail');
    expect(tcp.summary).toContain('is TCP by its name');
    expect(tcp.fix).toBe(`Name port 8888 of Service ${NS}/${SERVICE} "http" (or "http-<anything>"), or set its appProtocol to http.`);
    const unnamed = destinationHop(ctxWith({ services: [service(SERVICE, [{ port: 8888 }])] }));
    expect(unnamed.status).toBe('warn');
    expect(destinationHop(ctxWith({ services: [service(SERVICE, [{ name: 'web', appProtocol: 'http', port: 8888 }])] })).status).toBe('pass');
  });

  it("fails when the Service selects no running pod, naming the server's pod", () => {
    const hop = destinationHop(ctxWith({ services: [service(SERVICE, undefined, { app: 'someone-else' })] }));
    expect(hop.status).toBe('fail');
    expect(hop.summary).toContain(`selects no running pod (selector app=someone-else), while alice's default server runs in pod ${SERVICE}`);
  });

  it('cannot judge a destination outside the watched namespaces, nor one without a route', () => {
    const { route } = healthyObjects();
    route.spec.http![0]!.route![0]!.destination.host = 'jupyter-alice.elsewhere.svc.cluster.local';
    expect(destinationHop(ctxWith({ virtualServices: [route] })).status).toBe('unknown');
    expect(destinationHop(ctxWith({ virtualServices: [] })).status).toBe('unknown');
  });
});

describe('hop 4: the pod', () => {
  it('passes with a Running, ready pod and a ready sidecar of the expected version', () => {
    const hop = podHop(ctxWith());
    expect(hop).toMatchObject({ status: 'pass', summary: `Pod ${NS}/${SERVICE} is Running and ready, with a ready istio-proxy 1.28.1.` });
    expect(hop.evidence).toContainEqual({ label: 'Status', value: 'Running, 2/2 containers ready' });
  });

  it('fails without a pod, and for a pod that is not running', () => {
    expect(podHop(ctxWith({ pods: [] }))).toMatchObject({ status: 'fail', summary: "No pod runs alice's default server, though its route exists: requests get 503." });
    const pending = podHop(ctxWith({ pods: [notebookPod(SERVICE, USER, { phase: 'Pending' })] }));
    expect(pending.status).toBe('fail');
    expect(pending.summary).toContain('is Pending, not running');
  });

  it('fails for a running pod whose notebook is not ready', () => {
    const p = ready(notebookPod(SERVICE, USER));
    p.status!.containerStatuses![0]!.ready = false;
    const hop = podHop(ctxWith({ pods: [p] }));
    expect(hop.status).toBe('fail');
    expect(hop.summary).toContain('only 1 of its 2 containers are ready');
  });

  it('fails without a sidecar or with an unready one, and warns about a sidecar of another version', () => {
    const bare = podHop(ctxWith({ pods: [ready(notebookPod(SERVICE, USER, { sidecar: false }))] }));
    expect(bare.status).toBe('fail');
    expect(bare.summary).toContain('has no istio-proxy sidecar');
    expect(bare.fix).toContain('restart the server so the injector adds istio-proxy');
    const optedOut = podHop(ctxWith({ pods: [ready(pod(SERVICE, { component: 'singleuser-server', 'hub.jupyter.org/username': USER, app: SERVICE, 'sidecar.istio.io/inject': 'false' }, { sidecar: false }))] }));
    expect(optedOut.fix).toContain('Remove sidecar.istio.io/inject=false');
    const p = ready(notebookPod(SERVICE, USER));
    p.status!.containerStatuses![1]!.ready = false;
    const unready = podHop(ctxWith({ pods: [p] }));
    expect(unready.status).toBe('fail');
    expect(unready.summary).toContain('istio-proxy sidecar not ready');
    expect(unready.summary).not.toContain('containers are ready');
    const skew = podHop(ctxWith({}, '1.29.0'));
    expect(skew.status).toBe('warn');
    expect(skew.summary).toContain('istio-proxy 1.28.1 differs from the expected 1.29.0');
  });

  describe('under ambient', () => {
    const ambientNamespace = [namespace(NS, { 'istio.io/dataplane-mode': 'ambient' })];
    const ambientPod = (annotations: Record<string, string> = {}, labels: Record<string, string> = {}) =>
      ready(pod(SERVICE, { component: 'singleuser-server', 'hub.jupyter.org/username': USER, app: SERVICE, ...labels }, { sidecar: false, annotations }));
    const redirected = { 'ambient.istio.io/redirection': 'enabled' };

    it('passes for a pod ztunnel has redirected, and names its data plane', () => {
      const hop = podHop(ctxWith({ namespaces: ambientNamespace, pods: [ambientPod(redirected)] }));
      expect(hop).toMatchObject({ status: 'pass', summary: `Pod ${NS}/${SERVICE} is Running and ready, in ambient, redirected to ztunnel.` });
      expect(hop.evidence).toContainEqual({ label: 'Data plane', value: 'ambient (ztunnel), redirected' });
    });

    it('fails for an enrolled pod istio-cni has not redirected, and for one that opted out', () => {
      const notRedirected = podHop(ctxWith({ namespaces: ambientNamespace, pods: [ambientPod()] }));
      expect(notRedirected.status).toBe('fail');
      expect(notRedirected.summary).toContain('ztunnel not redirecting');
      expect(notRedirected.fix).toContain('istio-cni and ztunnel');
      const optedOut = podHop(ctxWith({ namespaces: ambientNamespace, pods: [ambientPod({}, { 'istio.io/dataplane-mode': 'none' })] }));
      expect(optedOut.status).toBe('fail');
      expect(optedOut.summary).toContain('is not enrolled');
      expect(optedOut.summary).toContain('opts out of its namespace\'s ambient mode');
      expect(optedOut.fix).toContain('Remove istio.io/dataplane-mode=none');
      expect(optedOut.evidence).toContainEqual({ label: 'Data plane', value: 'none (opted out of ambient)' });
    });

    it('warns when an L7 policy applies and no waypoint serves the pod', () => {
      const getOnly = { metadata: { name: 'get-only', namespace: NS }, spec: { rules: [{ to: [{ operation: { methods: ['GET'] } }] }] } };
      const hop = podHop(ctxWith({ namespaces: ambientNamespace, pods: [ambientPod(redirected)], authorizationPolicies: [getOnly] }));
      expect(hop.status).toBe('warn');
      expect(hop.summary).toContain(`no waypoint, but an L7 policy needs one: ztunnel cannot enforce the HTTP rules of AuthorizationPolicy ${NS}/get-only`);
      expect(hop.fix).toContain('istioctl waypoint apply');
    });
  });
});
