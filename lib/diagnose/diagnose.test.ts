import { describe, expect, it } from 'vitest';
import { virtualService, prefixRule } from '../mesh/checkers/test-fixtures';
import { diagnose, verdictOf } from './diagnose';
import { diagnosisReport } from './report';
import { diagnoseInput, healthyObjects, healthySnapshot } from './test-fixtures';
import type { Hop } from './types';

const hop = (status: Hop['status']): Hop => ({ id: 'route', title: 't', status, summary: 's', evidence: [] });

describe('diagnose', () => {
  it('runs the eight hops in the order a request meets them', () => {
    const { hops, verdict, objects } = diagnose(diagnoseInput());
    expect(hops.map((h) => h.id)).toEqual(['route', 'routing', 'destination', 'pod', 'mtls', 'access', 'traffic', 'hub']);
    expect(hops.map((h) => h.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'unknown', 'unknown']);
    expect(verdict).toBe('ok');
    expect(objects.route?.record.path).toBe('/user/alice');
  });

  it('is failing when a hop fails, warning when one warns; an unknown hop decides nothing', () => {
    expect(verdictOf([hop('pass'), hop('unknown')])).toBe('ok');
    expect(verdictOf([hop('warn'), hop('unknown')])).toBe('warning');
    expect(verdictOf([hop('warn'), hop('fail')])).toBe('failing');
    const shadowed = diagnose(diagnoseInput(healthySnapshot({ virtualServices: [healthyObjects().route, virtualService('grafana', [prefixRule('/user/')], { created: 1 })] })));
    expect(shadowed.verdict).toBe('failing');
    expect(shadowed.hops.find((h) => h.status === 'fail')!.id).toBe('routing');
  });
});

describe('the Markdown report', () => {
  it('names the server, the verdict and every hop with its evidence and fix, one line per table row', () => {
    const d = diagnose(diagnoseInput(healthySnapshot({ services: [] })));
    const report = diagnosisReport({ user: 'alice', server: '', path: '/user/alice/', verdict: d.verdict, hops: d.hops, checkedAt: '2026-12-01T10:00:00.000Z' });
    expect(report).toContain("# hubmesh diagnosis: alice's default server");
    expect(report).toContain('- Verdict: **failing: requests fail**');
    expect(report).toContain('## 3. ✗ FAIL: The route\'s Service exists, selects the pod, and has an HTTP port');
    expect(report).toContain(`| VirtualService | jupyterhub/${d.objects.route!.object.metadata.name} |`);
    expect(report).toContain('**Fix:** Restart the server from the hub');
    expect(report).toMatch(/## 7\. \? unknown: Recent traffic/);
    const withPipe = diagnosisReport({ user: 'a', server: 'b', path: undefined, verdict: 'ok', hops: [{ ...hop('pass'), evidence: [{ label: 'x|y', value: 'one\ntwo' }] }], checkedAt: 'now' });
    expect(withPipe).toContain('| x\\|y | one two |');
    expect(withPipe).toContain('- Server: b\n- Path: (no route)');
  });
});
