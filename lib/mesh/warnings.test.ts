import { describe, expect, it } from 'vitest';
import type { Pod } from '../kube/pods';
import { AMBIENT, NO_SIDECAR, NOT_AMBIENT, podSummary, SIDECAR_MESH_WARNINGS } from './test-fixtures';
import type { AmbientInfo } from './ambient';
import type { MeshAroundPods, PodSummary, PodWarningCode, SidecarInfo } from './types';
import { compareVersions, majorityVersion, meshWarningContext, podWarnings, type WarningContext } from './warnings';

const summary = (sidecar: Partial<SidecarInfo>, rest: Partial<PodSummary> = {}) => podSummary(rest, sidecar);

describe('podWarnings', () => {
  const ok: WarningContext = { expectedVersion: '1.28.1', hasRoute: true, ...SIDECAR_MESH_WARNINGS };
  const cases: Array<[string, PodSummary, WarningContext, PodWarningCode[]]> = [
    ['a healthy routed pod', summary({}), ok, []],
    ['no sidecar', summary(NO_SIDECAR), ok, ['no-sidecar']],
    ['no sidecar, opted out', summary({ ...NO_SIDECAR, optedOut: true }), ok, ['no-sidecar']],
    ['sidecar not ready on a Running pod', summary({ ready: false }, { readyContainers: 1 }), ok, ['sidecar-not-ready']],
    ['sidecar not ready on a Pending pod that is still starting', summary({ ready: false }, { phase: 'Pending', status: 'ContainerCreating' }), ok, ['sidecar-not-ready']],
    ['sidecar not ready on a Succeeded pod: nothing to say', summary({ ready: false }, { phase: 'Succeeded', status: 'Completed' }), ok, []],
    ['sidecar not ready on a Failed pod: nothing to say', summary({ ready: false }, { phase: 'Failed', status: 'Error' }), { ...ok, hasRoute: false }, []],
    ['sidecar not ready while the pod is deleted', summary({ ready: false }, { status: 'Terminating' }), ok, []],
    ['version skew', summary({ version: '1.27.3' }), ok, ['sidecar-version-skew']],
    ['unknown own version: no skew', summary({ version: undefined }), ok, []],
    ['unknown expected version: no skew', summary({ version: '1.27.3' }), { ...ok, expectedVersion: undefined }, []],
    ['a Running pod without a route', summary({}), { ...ok, hasRoute: false }, ['pod-without-route']],
    ['a Pending pod without a route: not yet', summary({}, { phase: 'Pending', status: 'Pending' }), { ...ok, hasRoute: false }, []],
    ['a deleted pod without a route (the hub removed it first)', summary({}, { status: 'Terminating' }), { ...ok, hasRoute: false }, []],
    [
      'everything at once, in the fixed order',
      summary({ ready: false, version: '1.26.0' }),
      { ...ok, hasRoute: false },
      ['sidecar-not-ready', 'sidecar-version-skew', 'pod-without-route'],
    ],
    ['no sidecar and no route', summary(NO_SIDECAR), { ...ok, hasRoute: false }, ['no-sidecar', 'pod-without-route']],
  ];
  it.each(cases)('%s', (_what, input, context, codes) => {
    expect(podWarnings(input, context).map((w) => w.code)).toEqual(codes);
  });

  it('says why a pod has no sidecar', () => {
    const [plain] = podWarnings(summary(NO_SIDECAR), ok);
    expect(plain?.message).toBe("no istio-proxy sidecar: traffic to this notebook is not mTLS-encrypted; check the namespace's istio-injection label");
    const [optedOut] = podWarnings(summary({ ...NO_SIDECAR, optedOut: true }), ok);
    expect(optedOut?.message).toContain('opted out');
    expect(optedOut?.message).toContain('sidecar.istio.io/inject');
    expect(optedOut?.message).toContain('not mTLS-encrypted');
  });

  it('names both versions on a skew', () => {
    const [skew] = podWarnings(summary({ version: '1.27.3' }), ok);
    expect(skew?.message).toContain('1.27.3');
    expect(skew?.message).toContain('1.28.1');
  });

  it('writes plain sentences for every code', () => {
    const all = [
      ...podWarnings(summary({ ready: false, version: '1.26.0' }), { ...ok, hasRoute: false }),
      ...podWarnings(ambientPod({ redirected: false, waypoint: undefined }), { ...ambientMesh, waypointPolicies: ['jupyterhub/notebooks-get-only'] }),
      ...podWarnings(summary(NO_SIDECAR), ambientMesh),
    ];
    expect(all.map((w) => w.code)).toEqual(['sidecar-not-ready', 'sidecar-version-skew', 'pod-without-route', 'ztunnel-not-redirecting', 'waypoint-missing', 'not-enrolled']);
    for (const w of all) expect(w.message).toMatch(/^[a-z][^\n]{20,}[^.]$/);
  });
});

const ambientPod = (ambient: Partial<AmbientInfo> = {}, rest: Partial<PodSummary> = {}) => podSummary({ ...rest, ambient: { ...AMBIENT, ...ambient } }, NO_SIDECAR);
/** a mesh where the pod's namespace is in ambient and injects no sidecars */
const ambientMesh: WarningContext = { expectedVersion: '1.28.1', hasRoute: true, dataplanes: { injection: false, ambient: true }, waypointPolicies: [] };
const waypoint = { namespace: 'jupyterhub', name: 'waypoint', found: true, ready: true, for: 'all' as const, boundBy: 'namespace' as const };

describe('podWarnings under ambient', () => {
  const l7 = { ...ambientMesh, waypointPolicies: ['jupyterhub/notebooks-get-only'] };
  const cases: Array<[string, PodSummary, WarningContext, PodWarningCode[]]> = [
    ['an enrolled, redirected pod: never no-sidecar', ambientPod(), ambientMesh, []],
    ['enrolled but not redirected while Running', ambientPod({ redirected: false }), ambientMesh, ['ztunnel-not-redirecting']],
    ['enrolled, not redirected yet while Pending: still starting', ambientPod({ redirected: false }, { phase: 'Pending', status: 'ContainerCreating' }), ambientMesh, []],
    ['enrolled, not redirected while deleted', ambientPod({ redirected: false }, { status: 'Terminating' }), ambientMesh, []],
    ['an L7 policy and no waypoint', ambientPod(), l7, ['waypoint-missing']],
    ['an L7 policy and a ready waypoint', ambientPod({ waypoint }), l7, []],
    ['an L7 policy and a waypoint that does not exist', ambientPod({ waypoint: { ...waypoint, found: false, ready: false, for: undefined } }), l7, ['waypoint-missing']],
    ['an L7 policy and a waypoint without an address', ambientPod({ waypoint: { ...waypoint, ready: false } }), l7, ['waypoint-missing']],
    ['an L7 policy and a waypoint for no traffic', ambientPod({ waypoint: { ...waypoint, for: 'none' } }), l7, ['waypoint-missing']],
    ['no L7 policy and no waypoint: ztunnel is enough', ambientPod(), ambientMesh, []],
    ['neither data plane where ambient is in use', summary(NO_SIDECAR), ambientMesh, ['not-enrolled']],
    ['opted out of ambient, even where the namespace also injects', podSummary({ ambient: { ...NOT_AMBIENT, optedOut: true } }, NO_SIDECAR), { ...ambientMesh, dataplanes: { injection: true, ambient: true } }, ['not-enrolled']],
    ['neither data plane in a namespace that injects, ambient elsewhere: the old finding', summary(NO_SIDECAR), { ...ambientMesh, dataplanes: { injection: true, ambient: true } }, ['no-sidecar']],
    ['neither data plane in a sidecar-only mesh: the old finding', summary(NO_SIDECAR), { ...ambientMesh, dataplanes: { injection: false, ambient: false } }, ['no-sidecar']],
    ['a sidecar pod never gets ambient warnings', summary({}), l7, []],
  ];
  it.each(cases)('%s', (_what, input, context, codes) => {
    expect(podWarnings(input, context).map((w) => w.code)).toEqual(codes);
  });

  it('says in words what is wrong and what to do', () => {
    const [notRedirecting] = podWarnings(ambientPod({ redirected: false, enrolledBy: 'pod' }), ambientMesh);
    expect(notRedirecting?.message).toContain('ztunnel not redirecting');
    expect(notRedirecting?.message).toContain('its istio.io/dataplane-mode label');
    expect(notRedirecting?.message).toContain('ambient.istio.io/redirection: enabled');
    expect(notRedirecting?.message).toContain('kwok-node-0');
    const [missing] = podWarnings(ambientPod(), { ...ambientMesh, waypointPolicies: ['jupyterhub/a', 'istio-system/b'] });
    expect(missing?.message).toMatch(/^no waypoint, but an L7 policy needs one: /);
    expect(missing?.message).toContain('jupyterhub/a, istio-system/b');
    expect(missing?.message).toContain('no istio.io/use-waypoint label names one');
    const [notFound] = podWarnings(ambientPod({ waypoint: { ...waypoint, name: 'gone', found: false, ready: false } }), { ...ambientMesh, waypointPolicies: ['jupyterhub/a'] });
    expect(notFound?.message).toContain('jupyterhub/gone');
    const [notEnrolled] = podWarnings(summary(NO_SIDECAR), ambientMesh);
    expect(notEnrolled?.message).toMatch(/^not enrolled: /);
    expect(notEnrolled?.message).toContain('istio.io/dataplane-mode=ambient');
    const [optedOut] = podWarnings(podSummary({ ambient: { ...NOT_AMBIENT, optedOut: true } }, NO_SIDECAR), ambientMesh);
    expect(optedOut?.message).toContain('istio.io/dataplane-mode=none');
  });
});

describe('meshWarningContext', () => {
  const pod = (labels: Record<string, string>): Pod => ({ metadata: { name: 'jupyter-alice', namespace: 'jupyterhub', labels }, spec: { containers: [{ name: 'notebook' }] } });
  const namespace = (name: string, labels: Record<string, string>) => ({ metadata: { name, labels } });
  const getOnly = { metadata: { name: 'notebooks-get-only', namespace: 'jupyterhub' }, spec: { rules: [{ to: [{ operation: { methods: ['GET'] } }] }] } };
  const l4 = { metadata: { name: 'hub-only', namespace: 'jupyterhub' }, spec: { rules: [{ from: [{ source: { principals: ['cluster.local/ns/jupyterhub/sa/hub'] } }] }] } };
  const mesh = (labels: Record<string, string>, others: Record<string, string> = {}): MeshAroundPods => ({
    namespaces: [namespace('jupyterhub', labels), namespace('elsewhere', others)],
    waypoints: [],
    authorizationPolicies: [getOnly, l4],
    rootNamespace: 'istio-system',
  });

  it("reads the pod's namespace injection and whether any namespace is in ambient", () => {
    expect(meshWarningContext(pod({}), ambientPod(), mesh({ 'istio.io/dataplane-mode': 'ambient' })).dataplanes).toEqual({ injection: false, ambient: true });
    expect(meshWarningContext(pod({}), summary(NO_SIDECAR), mesh({ 'istio.io/rev': 'canary' }, { 'istio.io/dataplane-mode': 'ambient' })).dataplanes).toEqual({ injection: true, ambient: true });
    expect(meshWarningContext(pod({}), summary(NO_SIDECAR), mesh({ 'istio-injection': 'disabled', 'istio.io/rev': 'canary' })).dataplanes).toEqual({ injection: false, ambient: false });
    expect(meshWarningContext(pod({}), summary(NO_SIDECAR), undefined)).toEqual({ dataplanes: { injection: false, ambient: false }, waypointPolicies: [] });
  });

  it('names the policies that need a waypoint, for ambient pods only', () => {
    const around = mesh({ 'istio.io/dataplane-mode': 'ambient' });
    expect(meshWarningContext(pod({}), ambientPod(), around).waypointPolicies).toEqual(['jupyterhub/notebooks-get-only']);
    expect(meshWarningContext(pod({}), summary({}), around).waypointPolicies).toEqual([]);
  });
});

describe('majorityVersion', () => {
  const pods = (...versions: Array<string | undefined | null>) =>
    versions.map((v) => (v === null ? summary(NO_SIDECAR) : summary({ version: v })));
  it.each<[string, PodSummary[], string | undefined]>([
    ['no pods', [], undefined],
    ['no injected pods', pods(null, null), undefined],
    ['injected pods without versions', pods(undefined, undefined), undefined],
    ['a clear majority', pods('1.28.1', '1.27.3', '1.28.1'), '1.28.1'],
    ['pods without a sidecar do not vote', pods('1.27.3', null, null, null), '1.27.3'],
    ['a tie goes to the higher version', pods('1.27.3', '1.28.1'), '1.28.1'],
    ['a tie goes to the higher version, whatever the order', pods('1.28.1', '1.27.3'), '1.28.1'],
    ['versions compare numerically', pods('1.9.0', '1.10.0'), '1.10.0'],
    ['the count wins over the version', pods('1.10.0', '1.9.0', '1.9.0'), '1.9.0'],
  ])('%s', (_what, input, expected) => {
    expect(majorityVersion(input)).toBe(expected);
  });
});

describe('compareVersions', () => {
  it.each<[string, string, number]>([
    ['1.28.1', '1.28.1', 0],
    ['1.28.1', '1.27.3', 1],
    ['1.9.0', '1.10.0', -1],
    ['1.28', '1.28.1', -1],
    ['1.28.1-rc.0', '1.28.1', -1],
    ['1.28.1-distroless', '1.28.1-debug', 1],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
    expect(Math.sign(compareVersions(b, a))).toBe(-sign || 0);
  });
});
