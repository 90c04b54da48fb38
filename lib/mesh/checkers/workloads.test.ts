import { describe, expect, it } from 'vitest';
import { namespaceWithoutInjection } from './namespace-injection';
import { podWithoutRoute } from './pod-without-route';
import { podWithoutSidecar } from './pod-without-sidecar';
import { hubRoute, namespace, notebookPod, NS, pod, service, snapshot } from './test-fixtures';

describe('HM3001 podWithoutRoute', () => {
  it('reports a running notebook pod no route leads to', () => {
    const findings = podWithoutRoute.check(snapshot({ pods: [notebookPod('jupyter-carol', 'carol')] }));
    expect(findings).toEqual([
      { code: 'HM3001', severity: 'warning', object: { kind: 'Pod', namespace: NS, name: 'jupyter-carol' }, message: expect.stringContaining('(user carol)') },
    ]);
  });

  it("accepts a pod behind a route's Service, or matching a route's user and server, and skips pods that are not running or are not notebooks", () => {
    const pods = [notebookPod('jupyter-alice', 'alice'), notebookPod('jupyter-bob', 'bob')];
    const routes = [hubRoute('/user/alice', { service: 'jupyter-alice' }), hubRoute('/user/bob', { service: 'gone', user: 'bob' })];
    expect(podWithoutRoute.check(snapshot({ virtualServices: routes, services: [service('jupyter-alice')], pods }))).toEqual([]);
    const others = [notebookPod('starting', 'x', { phase: 'Pending' }), notebookPod('stopping', 'y', { deleting: true }), pod('hub', { component: 'hub' })];
    expect(podWithoutRoute.check(snapshot({ pods: others }))).toEqual([]);
  });
});

describe('HM3002 namespaceWithoutInjection', () => {
  it('reports a namespace without injection labels, and one where injection is disabled', () => {
    const findings = namespaceWithoutInjection.check(snapshot({ namespaces: [namespace('plain'), namespace('off', { 'istio-injection': 'disabled' })] }));
    expect(findings.map((f) => f.object)).toEqual([{ kind: 'Namespace', name: 'plain' }, { kind: 'Namespace', name: 'off' }]);
    expect(findings[0]!.message).toContain('sidecar.istio.io/inject=true');
    expect(findings[1]!.message).toContain('istio-injection=disabled');
  });

  it('accepts istio-injection=enabled and a revision label', () => {
    const namespaces = [namespace('a', { 'istio-injection': 'enabled' }), namespace('b', { 'istio.io/rev': 'stable' }), namespace('c', { 'istio-injection': 'enabled', 'istio.io/rev': 'x' })];
    expect(namespaceWithoutInjection.check(snapshot({ namespaces }))).toEqual([]);
    // istio-injection wins over the revision label, also when it turns injection off
    expect(namespaceWithoutInjection.check(snapshot({ namespaces: [namespace('d', { 'istio-injection': 'disabled', 'istio.io/rev': 'x' })] }))).toHaveLength(1);
  });

  it('accepts a namespace enrolled in ambient, which needs no injection', () => {
    expect(namespaceWithoutInjection.check(snapshot({ namespaces: [namespace('e', { 'istio.io/dataplane-mode': 'ambient' })] }))).toEqual([]);
  });
});

describe('HM3003 podWithoutSidecar', () => {
  it('reports notebook pods without sidecar, even when they opted out, and other pods that did not opt out', () => {
    const optedOut = { 'sidecar.istio.io/inject': 'false' };
    const pods = [
      notebookPod('jupyter-dave', 'dave', { sidecar: false }),
      notebookPod('jupyter-erin', 'erin', { sidecar: false, annotations: optedOut }),
      pod('hub', { component: 'hub' }, { sidecar: false }),
    ];
    const findings = podWithoutSidecar.check(snapshot({ pods }));
    expect(findings.map((f) => f.object.name)).toEqual(['jupyter-dave', 'jupyter-erin', 'hub']);
    expect(findings[1]!.message).toContain('opted out');
    expect(findings[0]).toMatchObject({ code: 'HM3003', severity: 'warning' });
  });

  it('accepts injected pods, deliberate opt-outs of other pods, and finished or deleting pods', () => {
    const pods = [
      notebookPod('jupyter-alice', 'alice'),
      pod('puller', { component: 'continuous-image-puller' }, { sidecar: false, annotations: { 'sidecar.istio.io/inject': 'false' } }),
      pod('job', { component: 'hook' }, { sidecar: false, phase: 'Succeeded' }),
      notebookPod('jupyter-old', 'old', { sidecar: false, deleting: true }),
    ];
    expect(podWithoutSidecar.check(snapshot({ pods }))).toEqual([]);
  });

  it('accepts pods enrolled in ambient, and still reports the ones that opt out of it', () => {
    const pods = [notebookPod('jupyter-ann', 'ann', { sidecar: false }), notebookPod('jupyter-ben', 'ben', { sidecar: false })];
    pods[1]!.metadata.labels = { ...pods[1]!.metadata.labels, 'istio.io/dataplane-mode': 'none' };
    const findings = podWithoutSidecar.check(snapshot({ pods, namespaces: [namespace(NS, { 'istio.io/dataplane-mode': 'ambient' })] }));
    expect(findings.map((f) => f.object.name)).toEqual(['jupyter-ben']);
  });
});
