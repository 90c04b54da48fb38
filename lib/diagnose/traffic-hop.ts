import type { InstantSample } from '../telemetry/prometheus';
import { promqlString } from '../telemetry/promql';
import { explainResponseFlags, NEVER_FORWARDED_MATCH } from '../telemetry/response-flags';
import { capitalize, hopFrom, type Problem } from './hop-kit';
import type { Evidence, Hop, HopContext, TrafficSample } from './types';

const TITLE = "Recent traffic: the last hour's answers to the server";

/** The window the traffic hop looks back over. */
export const TRAFFIC_WINDOW = '1h';

/** A share of 5xx answers at or above which requests are failing, not merely hiccuping. */
const FAILING_SHARE = 0.05;

/**
 * The one query of the traffic hop: the window's requests to the server's Service by reporter, response code and
 * Envoy flags. Each request counts once: as the notebook's sidecar reported it (reporter="destination"), or, when the
 * caller's proxy answered it itself and never forwarded it (the gateway's 503 UF,URX), as that proxy reported it.
 */
export function trafficQuery(host: string, window: string = TRAFFIC_WINDOW): string {
  const service = `destination_service=${promqlString(host)}`;
  return (
    `sum by (reporter, response_code, response_flags) (` +
    `increase(istio_requests_total{reporter="destination",${service}}[${window}]) or ` +
    `increase(istio_requests_total{reporter="source",${service},response_flags=~${NEVER_FORWARDED_MATCH}}[${window}]))`
  );
}

/** The query's answer as samples; series without requests in the window are left out. */
export function trafficSamples(answer: readonly InstantSample[]): TrafficSample[] {
  return answer
    .filter((s) => s.value > 0)
    .map((s) => ({ reporter: s.metric.reporter === 'source' ? ('source' as const) : ('destination' as const), code: s.metric.response_code ?? '', flags: s.metric.response_flags || '-', requests: s.value }))
    .sort((a, b) => b.requests - a.requests || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

/** 12, 3.5, 0.4: counts from increase() are estimates, so small ones keep a tenth. */
export const requestCount = (n: number) => (n >= 10 ? String(Math.round(n)) : String(Math.round(n * 10) / 10));

const is5xx = (s: TrafficSample) => /^5\d\d$/.test(s.code);
const who = (s: TrafficSample) => (s.reporter === 'source' ? "answered by the caller's proxy, never forwarded" : "reported by the notebook's sidecar");

/** "503 UF,URX", "200" */
const answerOf = (s: TrafficSample) => (s.flags === '-' ? s.code : `${s.code} ${s.flags}`);

/** The flags' meanings, or that there were none. */
function flagWords(s: TrafficSample): string {
  const flags = explainResponseFlags(s.flags);
  return flags.length ? flags.map((f) => f.meaning).join('; ') : 'no flag';
}

/**
 * Hop 7: the last hour's requests to the server's Service, each counted once (see trafficQuery), with Envoy's
 * response flags in plain words. A 5xx share of FAILING_SHARE or more fails; fewer 5xx warn. No requests cannot be
 * judged, nor can a Prometheus that is not configured or does not answer.
 */
export function trafficHop(ctx: HopContext): Hop {
  const base = { id: 'traffic' as const, title: TITLE };
  const { traffic } = ctx;
  if (traffic.state === 'unconfigured') return { ...base, status: 'unknown', summary: 'Prometheus is not configured (HUBMESH_PROMETHEUS_URL), so hubmesh cannot see the traffic.', evidence: [] };
  if (traffic.state === 'unavailable') return { ...base, status: 'unknown', summary: `Prometheus could not be asked: ${traffic.message}`, evidence: [] };
  if (traffic.state === 'no-service') return { ...base, status: 'unknown', summary: 'There is no Service to look up in the telemetry.', evidence: [] };
  const { samples, host, window } = traffic;
  const total = samples.reduce((n, s) => n + s.requests, 0);
  if (total === 0) return { ...base, status: 'unknown', summary: `No requests to ${host} in the last ${window}: nothing to judge.`, evidence: [{ label: 'Service', value: host }] };
  const evidence: Evidence[] = [
    { label: 'Service', value: host },
    { label: `Requests (${window})`, value: requestCount(total) },
    ...samples.slice(0, 8).map((s) => ({ label: `${requestCount(s.requests)} × ${answerOf(s)}`, value: `${flagWords(s)} (${who(s)})` })),
  ];
  const failures = samples.filter(is5xx);
  const failed = failures.reduce((n, s) => n + s.requests, 0);
  const problems: Problem[] = [];
  if (failed > 0) {
    const top = failures[0]!;
    const flags = explainResponseFlags(top.flags);
    const share = failed / total;
    problems.push({
      status: share >= FAILING_SHARE ? 'fail' : 'warn',
      summary: `${requestCount(failed)} of ${requestCount(total)} requests to ${host} in the last ${window} failed with 5xx (${Math.round(share * 1000) / 10}%); most were ${answerOf(top)}${top.flags === '-' ? ' without a flag' : `: ${flagWords(top)}`}.`,
      fix: flags.length ? `${capitalize(flags.map((f) => f.hint).join('; '))}.` : "The notebook answered 5xx itself: read the notebook server's log.",
    });
  }
  return hopFrom(base, problems, evidence, `${requestCount(total)} requests to ${host} in the last ${window}, none failed with 5xx.`);
}
