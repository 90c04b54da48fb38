import { z } from 'zod';

/**
 * Why a call to Prometheus failed:
 * - unreachable: no HTTP answer from Prometheus (refused, DNS, reset), or a proxy in front of it said 502/503/504
 * - timeout: no answer within the call's timeout, or Prometheus gave up on the query itself (errorType timeout/canceled)
 * - bad-query: Prometheus rejected the query (400 bad_data, 422 execution), with its own message
 * - bad-response: an answer that is not the Prometheus API's JSON, or not the expected result type
 */
export type PrometheusErrorKind = 'unreachable' | 'timeout' | 'bad-query' | 'bad-response';

export class PrometheusError extends Error {
  override name = 'PrometheusError';
  constructor(
    readonly kind: PrometheusErrorKind,
    message: string,
    readonly details: { status?: number; errorType?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Prometheus cannot be used right now (callers answer 503, the page says "Prometheus is down"). */
  get unavailable(): boolean {
    return this.kind === 'unreachable' || this.kind === 'timeout';
  }
}

/** By name, not instanceof: Next bundles lib/ more than once, so the error can come from another copy of the class. */
export function isPrometheusError(error: unknown): error is PrometheusError {
  return error instanceof Error && error.name === 'PrometheusError' && typeof (error as PrometheusError).kind === 'string';
}

/** One series of an instant vector: its labels and the value at `time` (Unix seconds). */
export type InstantSample = { metric: Record<string, string>; time: number; value: number };
/** One series of a range query: its labels and its points in time order (Unix seconds). */
export type RangeSeries = { metric: Record<string, string>; points: Array<{ time: number; value: number }> };
/** A query_range evaluation grid, all in seconds. */
export type QueryRange = { start: number; end: number; step: number };

// Prometheus writes sample values as strings, including "NaN", "+Inf" and "-Inf", which Number() misreads
const sampleValue = z.string().transform((text, ctx) => {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const value = Number(text);
  if (Number.isNaN(value) && text !== 'NaN') {
    ctx.addIssue({ code: 'custom', message: `not a sample value: ${text}` });
    return z.NEVER;
  }
  return value;
});
const samplePair = z.tuple([z.number(), sampleValue]);
const labels = z.record(z.string(), z.string());

const queryData = z.discriminatedUnion('resultType', [
  z.object({ resultType: z.literal('vector'), result: z.array(z.object({ metric: labels, value: samplePair })) }),
  z.object({ resultType: z.literal('matrix'), result: z.array(z.object({ metric: labels, values: z.array(samplePair) })) }),
  z.object({ resultType: z.literal('scalar'), result: samplePair }),
  z.object({ resultType: z.literal('string'), result: z.tuple([z.number(), z.string()]) }),
]);
type QueryData = z.infer<typeof queryData>;

const apiResponse = z.discriminatedUnion('status', [
  z.object({ status: z.literal('success'), data: queryData }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);

export type PrometheusClientOptions = {
  /** Prometheus' base URL, e.g. http://prometheus.istio-system:9090 (a path prefix such as /prometheus is kept) */
  url: string;
  /** per-call limit in ms, also sent as the query's own `timeout` so Prometheus stops evaluating too */
  timeoutMs?: number;
  /** extra request headers, e.g. Authorization for a Prometheus behind an authenticating proxy */
  headers?: Record<string, string>;
};

/** A small client for Prometheus' HTTP query API (POST, form-encoded, as Grafana sends it). */
export class PrometheusClient {
  private readonly base: URL;
  private readonly timeoutMs: number;

  constructor(private readonly options: PrometheusClientOptions) {
    this.base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** An instant query that must evaluate to a vector; `time` in Unix seconds, default now. */
  async queryVector(query: string, options: { time?: number; timeoutMs?: number } = {}): Promise<InstantSample[]> {
    const params: Record<string, string> = { query };
    if (options.time !== undefined) params.time = String(options.time);
    const data = await this.call('api/v1/query', params, options.timeoutMs);
    if (data.resultType !== 'vector') throw new PrometheusError('bad-response', `expected a vector result, got ${data.resultType}`);
    return data.result.map(({ metric, value: [time, value] }) => ({ metric, time, value }));
  }

  /** A range query; Prometheus answers with one series per label set, points on the start + k·step grid. */
  async queryRange(query: string, range: QueryRange, options: { timeoutMs?: number } = {}): Promise<RangeSeries[]> {
    const params = { query, start: String(range.start), end: String(range.end), step: String(range.step) };
    const data = await this.call('api/v1/query_range', params, options.timeoutMs);
    if (data.resultType !== 'matrix') throw new PrometheusError('bad-response', `expected a matrix result, got ${data.resultType}`);
    return data.result.map(({ metric, values }) => ({ metric, points: values.map(([time, value]) => ({ time, value })) }));
  }

  private async call(path: string, params: Record<string, string>, timeoutMs = this.timeoutMs): Promise<QueryData> {
    const url = new URL(path, this.base);
    const body = new URLSearchParams({ ...params, timeout: String(timeoutMs / 1000) });
    // a timer, unlike AbortSignal.timeout(), is cleared as soon as the call ends (see lib/kube/rest.ts)
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    let status: number;
    let text: string;
    try {
      const response = await fetch(url, {
        method: 'POST',
        body,
        headers: { ...this.options.headers, accept: 'application/json' },
        signal: abort.signal,
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      if (abort.signal.aborted) {
        throw new PrometheusError('timeout', `Prometheus at ${this.base.origin} did not answer within ${timeoutMs} ms`, {}, { cause: error });
      }
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? String(error);
      throw new PrometheusError('unreachable', `Prometheus at ${this.base.origin} is unreachable: ${reason}`, {}, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    return this.parse(status, text);
  }

  private parse(status: number, text: string): QueryData {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      if (status === 502 || status === 503 || status === 504) {
        throw new PrometheusError('unreachable', `Prometheus at ${this.base.origin} is unavailable (HTTP ${status})`, { status });
      }
      throw new PrometheusError('bad-response', `Prometheus answered HTTP ${status} with a body that is not JSON: ${text.slice(0, 200)}`, { status });
    }
    const parsed = apiResponse.safeParse(json);
    if (!parsed.success) {
      throw new PrometheusError('bad-response', `Prometheus answered HTTP ${status} with an unexpected body: ${z.prettifyError(parsed.error)}`, {
        status,
      });
    }
    const answer = parsed.data;
    if (answer.status === 'success') return answer.data;
    const details = { status, errorType: answer.errorType };
    if (answer.errorType === 'timeout' || answer.errorType === 'canceled') throw new PrometheusError('timeout', answer.error, details);
    if (answer.errorType === 'bad_data' || answer.errorType === 'execution') throw new PrometheusError('bad-query', answer.error, details);
    throw new PrometheusError(status >= 500 ? 'unreachable' : 'bad-response', `Prometheus: ${answer.error}`, details);
  }
}

/** Several named instant queries at once, evaluated at one `time` (Unix seconds, default now); their vectors by the same names. */
export async function queryVectors<K extends string>(prometheus: Pick<PrometheusClient, 'queryVector'>, queries: Record<K, string>, options: { time?: number } = {}): Promise<Record<K, InstantSample[]>> {
  const names = Object.keys(queries) as K[];
  const vectors = await Promise.all(names.map((name) => prometheus.queryVector(queries[name], options)));
  return Object.fromEntries(names.map((name, i) => [name, vectors[i]!])) as Record<K, InstantSample[]>;
}

/** Several named range queries at once on one grid; their series by the same names. */
export async function queryRanges<K extends string>(prometheus: Pick<PrometheusClient, 'queryRange'>, queries: Record<K, string>, range: QueryRange): Promise<Record<K, RangeSeries[]>> {
  const names = Object.keys(queries) as K[];
  const series = await Promise.all(names.map((name) => prometheus.queryRange(queries[name], range)));
  return Object.fromEntries(names.map((name, i) => [name, series[i]!])) as Record<K, RangeSeries[]>;
}
