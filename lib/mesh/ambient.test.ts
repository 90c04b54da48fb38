import { describe, expect, it } from 'vitest';
import type { Pod } from '../kube/pods';
import type { K8sGateway } from '../kube/k8s-gateways';
import { ambientInfo, namespaceInAmbient, waypointRefs, waypointTraffic, type WaypointRef } from './ambient';

const NS = 'jhub';

/** A notebook pod as the apiserver holds it under ambient: no istio-proxy, istio-cni's annotation once redirected. */
function pod(options: { labels?: Record<string, string>; annotations?: Record<string, string>; sidecar?: boolean; hostNetwork?: boolean } = {}): Pod {
  return {
    metadata: {
      name: 'jupyter-alice',
      namespace: NS,
      labels: { component: 'singleuser-server', ...options.labels },
      annotations: {
        ...(options.sidecar ? { 'sidecar.istio.io/status': JSON.stringify({ containers: ['istio-proxy'], initContainers: ['istio-init'] }) } : {}),
        ...options.annotations,
      },
    },
    spec: {
      hostNetwork: options.hostNetwork,
      containers: [{ name: 'notebook' }, ...(options.sidecar ? [{ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.28.1' }] : [])],
    },
    status: { phase: 'Running' },
  };
}

const ambientNamespace = { 'kubernetes.io/metadata.name': NS, 'istio.io/dataplane-mode': 'ambient' };
const redirected = { 'ambient.istio.io/redirection': 'enabled' };
const waypoint: WaypointRef = { namespace: NS, name: 'waypoint', for: 'service' };

describe('ambientInfo: enrollment (istio-cni default enablement selectors)', () => {
  it('enrolls a pod through its namespace label, and reads the redirection annotation', () => {
    expect(ambientInfo(pod({ annotations: redirected }), ambientNamespace, [])).toEqual({
      enrolled: true,
      enrolledBy: 'namespace',
      optedOut: false,
      redirected: true,
      waypoint: undefined,
    });
    const pending = ambientInfo(pod({ annotations: { 'ambient.istio.io/redirection': 'pending' } }), ambientNamespace, []);
    expect(pending).toMatchObject({ enrolled: true, redirected: false });
    expect(ambientInfo(pod(), ambientNamespace, [])).toMatchObject({ enrolled: true, redirected: false });
  });

  it('enrolls a pod by its own label in a namespace that is not ambient, or has no labels known', () => {
    const own = pod({ labels: { 'istio.io/dataplane-mode': 'ambient' } });
    expect(ambientInfo(own, { 'kubernetes.io/metadata.name': NS }, [])).toMatchObject({ enrolled: true, enrolledBy: 'pod', optedOut: false });
    expect(ambientInfo(own, undefined, [])).toMatchObject({ enrolled: true, enrolledBy: 'pod' });
    // the pod's label is matched without a namespace selector, so it wins over a namespace that says none
    expect(ambientInfo(own, { 'istio.io/dataplane-mode': 'none' }, [])).toMatchObject({ enrolled: true, enrolledBy: 'pod' });
    expect(ambientInfo(own, ambientNamespace, [])).toMatchObject({ enrolled: true, enrolledBy: 'pod' });
  });

  it('lets a pod opt out of its ambient namespace with dataplane-mode none, and only none', () => {
    const none = pod({ labels: { 'istio.io/dataplane-mode': 'none' } });
    expect(ambientInfo(none, ambientNamespace, [])).toMatchObject({ enrolled: false, enrolledBy: undefined, optedOut: true });
    // outside an ambient namespace there is nothing to opt out of
    expect(ambientInfo(none, {}, [])).toMatchObject({ enrolled: false, optedOut: false });
    // the selector is `NotIn [none]`: any other value stays enrolled by the namespace
    expect(ambientInfo(pod({ labels: { 'istio.io/dataplane-mode': 'sidecar' } }), ambientNamespace, [])).toMatchObject({ enrolled: true, enrolledBy: 'namespace' });
  });

  it('leaves pods alone where nothing asks for ambient, or the value is not exactly ambient', () => {
    expect(ambientInfo(pod(), {}, [])).toMatchObject({ enrolled: false, enrolledBy: undefined, optedOut: false, redirected: false });
    expect(ambientInfo(pod(), { 'istio.io/dataplane-mode': 'Ambient' }, [])).toMatchObject({ enrolled: false });
    expect(ambientInfo(pod(), { 'istio-injection': 'enabled' }, [])).toMatchObject({ enrolled: false });
  });

  it('never enrolls a pod the sidecar injector handled: the sidecar wins', () => {
    expect(ambientInfo(pod({ sidecar: true }), ambientNamespace, [])).toMatchObject({ enrolled: false, enrolledBy: undefined });
    expect(ambientInfo(pod({ sidecar: true, labels: { 'istio.io/dataplane-mode': 'ambient' } }), {}, [])).toMatchObject({ enrolled: false });
    // istio-cni looks at the annotation's presence only, whatever it lists
    const annotated = pod({ annotations: { 'sidecar.istio.io/status': '{}' } });
    expect(ambientInfo(annotated, ambientNamespace, [])).toMatchObject({ enrolled: false });
  });

  it('never enrolls a host-network pod: istio-cni cannot redirect a network namespace the pod does not own', () => {
    expect(ambientInfo(pod({ hostNetwork: true, labels: { 'istio.io/dataplane-mode': 'ambient' } }), ambientNamespace, [])).toMatchObject({ enrolled: false });
  });

  it('says whether a namespace as a whole is in ambient', () => {
    expect(namespaceInAmbient(ambientNamespace)).toBe(true);
    expect(namespaceInAmbient({ 'istio.io/dataplane-mode': 'none' })).toBe(false);
    expect(namespaceInAmbient(undefined)).toBe(false);
  });
});

describe('ambientInfo: waypoint binding (fetchWaypointForTarget)', () => {
  const namespaceWithWaypoint = { ...ambientNamespace, 'istio.io/use-waypoint': 'waypoint' };

  it("binds the namespace's waypoint, resolved against the waypoint Gateways", () => {
    expect(ambientInfo(pod(), namespaceWithWaypoint, [waypoint]).waypoint).toEqual({
      namespace: NS,
      name: 'waypoint',
      found: true,
      ready: true,
      for: 'service',
      boundBy: 'namespace',
    });
    expect(ambientInfo(pod(), namespaceWithWaypoint, []).waypoint).toEqual({
      namespace: NS,
      name: 'waypoint',
      found: false,
      ready: false,
      for: undefined,
      boundBy: 'namespace',
    });
  });

  it('prefers the pod label, whose none turns the namespace waypoint off', () => {
    const other: WaypointRef = { namespace: NS, name: 'notebooks', for: 'workload' };
    const own = ambientInfo(pod({ labels: { 'istio.io/use-waypoint': 'notebooks' } }), namespaceWithWaypoint, [waypoint, other]);
    expect(own.waypoint).toMatchObject({ name: 'notebooks', found: true, for: 'workload', boundBy: 'pod' });
    expect(ambientInfo(pod({ labels: { 'istio.io/use-waypoint': 'none' } }), namespaceWithWaypoint, [waypoint]).waypoint).toBeUndefined();
    expect(ambientInfo(pod(), { ...ambientNamespace, 'istio.io/use-waypoint': 'none' }, [waypoint]).waypoint).toBeUndefined();
  });

  it("reads the waypoint's namespace from use-waypoint-namespace, on the same object as the name", () => {
    const shared: WaypointRef = { namespace: 'istio-waypoints', name: 'shared', for: 'all' };
    const fromNamespace = { ...ambientNamespace, 'istio.io/use-waypoint': 'shared', 'istio.io/use-waypoint-namespace': 'istio-waypoints' };
    expect(ambientInfo(pod(), fromNamespace, [shared]).waypoint).toMatchObject({ namespace: 'istio-waypoints', name: 'shared', found: true, for: 'all' });
    // a pod's own name is looked up in its own namespace, whatever its namespace's override says
    const own = pod({ labels: { 'istio.io/use-waypoint': 'shared' } });
    expect(ambientInfo(own, fromNamespace, [shared]).waypoint).toMatchObject({ namespace: NS, found: false, boundBy: 'pod' });
  });

  it('tells a waypoint that exists but has no address yet from a ready one', () => {
    const starting: WaypointRef = { ...waypoint, ready: false };
    expect(ambientInfo(pod(), namespaceWithWaypoint, [starting]).waypoint).toMatchObject({ found: true, ready: false });
  });

  it('reads the traffic a waypoint takes from istio.io/waypoint-for, service by default, none for an unknown value', () => {
    expect(waypointTraffic(undefined)).toBe('service');
    expect(waypointTraffic({ 'istio.io/waypoint-for': 'workload' })).toBe('workload');
    expect(waypointTraffic({ 'istio.io/waypoint-for': 'all' })).toBe('all');
    expect(waypointTraffic({ 'istio.io/waypoint-for': 'none' })).toBe('none');
    expect(waypointTraffic({ 'istio.io/waypoint-for': 'bogus' })).toBe('none');
  });
});

describe('waypointRefs', () => {
  it('keeps the Gateways of class istio-waypoint, with their traffic type and whether they have an address', () => {
    const gateways: K8sGateway[] = [
      {
        metadata: { name: 'waypoint', namespace: NS, labels: { 'istio.io/waypoint-for': 'all' } },
        spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
        status: { addresses: [{ type: 'Hostname', value: `waypoint.${NS}.svc.cluster.local` }] },
      },
      { metadata: { name: 'starting', namespace: NS }, spec: { gatewayClassName: 'istio-waypoint' } },
      { metadata: { name: 'ingress', namespace: NS }, spec: { gatewayClassName: 'istio' }, status: { addresses: [{ value: '10.0.0.1' }] } },
    ];
    expect(waypointRefs(gateways)).toEqual([
      { namespace: NS, name: 'waypoint', for: 'all', ready: true },
      { namespace: NS, name: 'starting', for: 'service', ready: false },
    ]);
  });
});
