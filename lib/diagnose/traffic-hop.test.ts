import { describe, expect, it } from 'vitest';
import { requestCount, trafficHop, trafficQuery, trafficSamples } from './traffic-hop';
import { diagnoseInput, hopContext, SERVICE_HOST } from './test-fixtures';
import type { TrafficSample, TrafficState } from './types';

const withTraffic = (traffic: TrafficState) => trafficHop(hopContext(diagnoseInput(undefined, { traffic })));
const ok = (samples: TrafficSample[]): TrafficState => ({ state: 'ok', window: '1h', host: SERVICE_HOST, samples });
const sample = (reporter: TrafficSample['reporter'], code: string, flags: string, requests: number): TrafficSample => ({ reporter, code, flags, requests });

describe('the traffic query', () => {
  it("counts each request once: the notebook sidecar's reports, and the caller's for requests it never forwarded", () => {
    const query = trafficQuery('jupyter-a"b.hub.svc.cluster.local');
    expect(query).toContain('sum by (reporter, response_code, response_flags) (');
    expect(query).toContain('increase(istio_requests_total{reporter="destination",destination_service="jupyter-a\\"b.hub.svc.cluster.local"}[1h]) or ');
    expect(query).toMatch(/increase\(istio_requests_total\{reporter="source",destination_service="jupyter-a\\"b[^}]*,response_flags=~"\(\.\*,\)\?\(UH\|UF\|[^"]*"\}\[1h\]\)\)$/);
  });

  it('reads the samples, most requests first, leaving out idle series', () => {
    const samples = trafficSamples([
      { metric: { reporter: 'destination', response_code: '200', response_flags: '-' }, time: 0, value: 30 },
      { metric: { reporter: 'source', response_code: '503', response_flags: 'UF,URX' }, time: 0, value: 90 },
      { metric: { reporter: 'destination', response_code: '500', response_flags: '' }, time: 0, value: 0 },
    ]);
    expect(samples).toEqual([sample('source', '503', 'UF,URX', 90), sample('destination', '200', '-', 30)]);
    expect([requestCount(1234.4), requestCount(3.46), requestCount(0)]).toEqual(['1234', '3.5', '0']);
  });
});

describe('hop 7: recent traffic', () => {
  it('fails for the gateway\'s 503 UF,URX, in plain words, with where to look', () => {
    const hop = withTraffic(ok([sample('source', '503', 'UF,URX', 90), sample('destination', '200', '-', 30)]));
    expect(hop.status).toBe('fail');
    expect(hop.summary).toBe(`90 of 120 requests to ${SERVICE_HOST} in the last 1h failed with 5xx (75%); most were 503 UF,URX: the gateway could not connect to the notebook (503); the request failed after every retry.`);
    expect(hop.fix).toMatch(/^Check that the pod's sidecar is ready, the Service's port and any NetworkPolicy/);
    expect(hop.evidence).toContainEqual({ label: '90 × 503 UF,URX', value: "the gateway could not connect to the notebook (503); the request failed after every retry (answered by the caller's proxy, never forwarded)" });
    expect(hop.evidence).toContainEqual({ label: '30 × 200', value: "no flag (reported by the notebook's sidecar)" });
  });

  it("warns for a few 5xx, blames the notebook for 5xx without a flag, and passes without any", () => {
    const few = withTraffic(ok([sample('destination', '200', '-', 990), sample('destination', '500', '-', 10)]));
    expect(few.status).toBe('warn');
    expect(few.fix).toBe("The notebook answered 5xx itself: read the notebook server's log.");
    expect(few.summary).toContain('most were 500 without a flag.');
    const fine = withTraffic(ok([sample('destination', '200', '-', 40), sample('source', '429', 'RL', 2)]));
    expect(fine).toMatchObject({ status: 'pass', summary: `42 requests to ${SERVICE_HOST} in the last 1h, none failed with 5xx.` });
  });

  it('cannot judge without requests, without Prometheus, or when Prometheus does not answer', () => {
    expect(withTraffic(ok([]))).toMatchObject({ status: 'unknown', summary: `No requests to ${SERVICE_HOST} in the last 1h: nothing to judge.` });
    expect(withTraffic({ state: 'unconfigured' })).toMatchObject({ status: 'unknown', summary: 'Prometheus is not configured (HUBMESH_PROMETHEUS_URL), so hubmesh cannot see the traffic.' });
    expect(withTraffic({ state: 'unavailable', message: 'Prometheus at http://p:9090 is unreachable: ECONNREFUSED' }).summary).toContain('ECONNREFUSED');
    expect(withTraffic({ state: 'no-service' }).status).toBe('unknown');
  });
});
