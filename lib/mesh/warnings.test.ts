import { describe, expect, it } from 'vitest';
import { NO_SIDECAR, podSummary } from './test-fixtures';
import type { PodSummary, PodWarningCode, SidecarInfo } from './types';
import { compareVersions, majorityVersion, podWarnings } from './warnings';

const summary = (sidecar: Partial<SidecarInfo>, rest: Partial<PodSummary> = {}) => podSummary(rest, sidecar);

describe('podWarnings', () => {
  const ok = { expectedVersion: '1.28.1', hasRoute: true };
  const cases: Array<[string, PodSummary, { expectedVersion: string | undefined; hasRoute: boolean }, PodWarningCode[]]> = [
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
    ['unknown expected version: no skew', summary({ version: '1.27.3' }), { expectedVersion: undefined, hasRoute: true }, []],
    ['a Running pod without a route', summary({}), { ...ok, hasRoute: false }, ['pod-without-route']],
    ['a Pending pod without a route: not yet', summary({}, { phase: 'Pending', status: 'Pending' }), { ...ok, hasRoute: false }, []],
    ['a deleted pod without a route (the hub removed it first)', summary({}, { status: 'Terminating' }), { ...ok, hasRoute: false }, []],
    [
      'everything at once, in the fixed order',
      summary({ ready: false, version: '1.26.0' }),
      { expectedVersion: '1.28.1', hasRoute: false },
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
    const all = podWarnings(summary({ ready: false, version: '1.26.0' }), { expectedVersion: '1.28.1', hasRoute: false });
    for (const w of all) expect(w.message).toMatch(/^[a-z][^\n]{20,}[^.]$/);
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
