import { describe, expect, it } from 'vitest';
import type { Container, ContainerStatus, Pod } from '../kube/pods';
import { imageTag, optedOutOfInjection, sidecarInfo } from './sidecar';
import type { SidecarInfo } from './types';

const PROXY = 'docker.io/istio/proxyv2:1.28.1';
const STATUS_ANNOTATION = JSON.stringify({ containers: ['istio-proxy'], initContainers: ['istio-init'] });

const running = (name: string, ready: boolean): ContainerStatus => ({
  name,
  ready,
  restartCount: 0,
  started: true,
  state: { running: { startedAt: '2026-01-01T00:00:00Z' } },
});

function pod(parts: {
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  containers?: Container[];
  initContainers?: Container[];
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
}): Pod {
  return {
    metadata: { name: 'jupyter-alice', namespace: 'jupyterhub', annotations: parts.annotations, labels: parts.labels },
    spec: { containers: parts.containers ?? [{ name: 'notebook', image: 'quay.io/jupyter/base-notebook:latest' }], initContainers: parts.initContainers },
    status: { phase: 'Running', containerStatuses: parts.containerStatuses, initContainerStatuses: parts.initContainerStatuses },
  };
}

const notebook = { name: 'notebook', image: 'quay.io/jupyter/base-notebook:latest' };

describe('sidecarInfo', () => {
  const cases: Array<[string, Pod, SidecarInfo]> = [
    [
      'a classic sidecar, ready',
      pod({
        annotations: { 'sidecar.istio.io/status': STATUS_ANNOTATION },
        containers: [notebook, { name: 'istio-proxy', image: PROXY }],
        containerStatuses: [running('notebook', true), running('istio-proxy', true)],
      }),
      { injected: true, native: false, ready: true, version: '1.28.1', optedOut: false },
    ],
    [
      'a classic sidecar, not ready',
      pod({
        annotations: { 'sidecar.istio.io/status': STATUS_ANNOTATION },
        containers: [notebook, { name: 'istio-proxy', image: PROXY }],
        containerStatuses: [running('notebook', true), running('istio-proxy', false)],
      }),
      { injected: true, native: false, ready: false, version: '1.28.1', optedOut: false },
    ],
    [
      'a classic sidecar with no status yet (just created)',
      pod({ containers: [notebook, { name: 'istio-proxy', image: PROXY }] }),
      { injected: true, native: false, ready: false, version: '1.28.1', optedOut: false },
    ],
    [
      'a native sidecar: init container with restartPolicy Always, ready in initContainerStatuses',
      pod({
        annotations: { 'sidecar.istio.io/status': JSON.stringify({ initContainers: ['istio-init', 'istio-proxy'], containers: null }) },
        initContainers: [
          { name: 'istio-init', image: PROXY },
          { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.29.0', restartPolicy: 'Always' },
        ],
        containers: [notebook],
        containerStatuses: [running('notebook', true)],
        initContainerStatuses: [
          { name: 'istio-init', ready: true, restartCount: 0, state: { terminated: { reason: 'Completed', exitCode: 0 } } },
          running('istio-proxy', true),
        ],
      }),
      { injected: true, native: true, ready: true, version: '1.29.0', optedOut: false },
    ],
    [
      'a native sidecar not ready: a regular container status of the same name does not count',
      pod({
        initContainers: [{ name: 'istio-proxy', image: PROXY, restartPolicy: 'Always' }],
        containers: [notebook],
        containerStatuses: [running('notebook', true), running('istio-proxy', true)],
        initContainerStatuses: [running('istio-proxy', false)],
      }),
      { injected: true, native: true, ready: false, version: '1.28.1', optedOut: false },
    ],
    [
      'an istio-proxy init container without restartPolicy Always is no sidecar',
      pod({ initContainers: [{ name: 'istio-proxy', image: PROXY }], containers: [notebook] }),
      { injected: false, native: false, ready: false, version: undefined, optedOut: false },
    ],
    [
      'no sidecar at all',
      pod({ containers: [notebook], containerStatuses: [running('notebook', true)] }),
      { injected: false, native: false, ready: false, version: undefined, optedOut: false },
    ],
    [
      'opted out by annotation',
      pod({ annotations: { 'sidecar.istio.io/inject': 'false' }, containers: [notebook] }),
      { injected: false, native: false, ready: false, version: undefined, optedOut: true },
    ],
    [
      'opted out by label (newer Istio)',
      pod({ labels: { 'sidecar.istio.io/inject': 'false' }, containers: [notebook] }),
      { injected: false, native: false, ready: false, version: undefined, optedOut: true },
    ],
    [
      'listed in the status annotation only (container not in the spec): injected, not ready, version unknown',
      pod({ annotations: { 'sidecar.istio.io/status': STATUS_ANNOTATION }, containers: [notebook] }),
      { injected: true, native: false, ready: false, version: undefined, optedOut: false },
    ],
    [
      'a status annotation that is not JSON and no proxy container',
      pod({ annotations: { 'sidecar.istio.io/status': '{not json' }, containers: [notebook] }),
      { injected: false, native: false, ready: false, version: undefined, optedOut: false },
    ],
    [
      'a status annotation that lists other containers only',
      pod({ annotations: { 'sidecar.istio.io/status': JSON.stringify({ containers: ['something-else'] }) }, containers: [notebook] }),
      { injected: false, native: false, ready: false, version: undefined, optedOut: false },
    ],
    [
      'a proxy image pinned by digest only',
      pod({ containers: [notebook, { name: 'istio-proxy', image: 'docker.io/istio/proxyv2@sha256:0123abcd' }] }),
      { injected: true, native: false, ready: false, version: undefined, optedOut: false },
    ],
    [
      'a proxy image with tag and digest',
      pod({ containers: [notebook, { name: 'istio-proxy', image: 'reg.example:5000/istio/proxyv2:1.27.3@sha256:0123abcd' }] }),
      { injected: true, native: false, ready: false, version: '1.27.3', optedOut: false },
    ],
  ];
  it.each(cases)('%s', (_what, input, expected) => {
    expect(sidecarInfo(input)).toEqual(expected);
  });

  it('reports optedOut next to an injected sidecar too (the injector was overridden, or the annotation added later)', () => {
    const info = sidecarInfo(pod({ annotations: { 'sidecar.istio.io/inject': 'false' }, containers: [notebook, { name: 'istio-proxy', image: PROXY }] }));
    expect(info).toMatchObject({ injected: true, optedOut: true });
  });
});

describe('imageTag', () => {
  it.each<[string | undefined, string | undefined]>([
    ['docker.io/istio/proxyv2:1.28.1', '1.28.1'],
    ['istio/proxyv2:1.28.1-distroless', '1.28.1-distroless'],
    ['proxyv2:1.2', '1.2'],
    ['reg:5000/istio/proxyv2:1.2', '1.2'],
    ['reg:5000/istio/proxyv2', undefined],
    ['docker.io/istio/proxyv2', undefined],
    ['docker.io/istio/proxyv2@sha256:9f8e7d', undefined],
    ['docker.io/istio/proxyv2:1.28.1@sha256:9f8e7d', '1.28.1'],
    ['reg:5000/istio/proxyv2@sha256:9f8e7d', undefined],
    ['[::1]:5000/istio/proxyv2:1.28.1', '1.28.1'],
    ['proxyv2:', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%s → %s', (image, tag) => {
    expect(imageTag(image)).toBe(tag);
  });
});

describe('optedOutOfInjection', () => {
  const withInject = (annotation?: string, label?: string): Pod => ({
    metadata: {
      name: 'p',
      annotations: annotation === undefined ? undefined : { 'sidecar.istio.io/inject': annotation },
      labels: label === undefined ? undefined : { 'sidecar.istio.io/inject': label },
    },
  });
  it.each<[string | undefined, string | undefined, boolean]>([
    [undefined, undefined, false],
    ['false', undefined, true],
    ['False', undefined, true],
    ['no', undefined, true],
    ['true', undefined, false],
    ['', undefined, false],
    [undefined, 'false', true],
    [undefined, 'true', false],
    // as in Istio's injector, the label wins over the annotation
    ['false', 'true', false],
    ['true', 'false', true],
  ])('annotation %s, label %s → %s', (annotation, label, expected) => {
    expect(optedOutOfInjection(withInject(annotation, label))).toBe(expected);
  });
});
