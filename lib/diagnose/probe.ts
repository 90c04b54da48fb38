import { ApiError } from '../api-error';
import { requestThroughGateway } from '../routes/readiness';

/** What one request through the gateway got, against the route that should have served it. */
export type ProbeResult = {
  /** the gateway URL the request went to, and the Host header it carried */
  url: string;
  host: string | undefined;
  /** the gateway's status; null when it could not be reached */
  status: number | null;
  /** the x-hubmesh-route header of the answer: the VirtualService whose rule served it */
  routeHeader: string | null;
  expectedRoute: string;
  /** the expected route served the request */
  matches: boolean;
  timeMs: number;
  /** ISO time the request was sent */
  at: string;
  /** why the gateway could not be reached */
  error?: string;
};

export const PROBE_TIMEOUT_MS = 5000;

/** One request through the gateway for `path` (no credentials, no redirect followed), timed. Never rejects. */
export async function probeRoute(options: { gatewayUrl: string; host: string | undefined; path: string; expectedRoute: string; now: () => number; timeoutMs?: number }): Promise<ProbeResult> {
  const started = options.now();
  const base = { url: new URL(options.path, options.gatewayUrl).toString(), host: options.host, expectedRoute: options.expectedRoute, at: new Date(started).toISOString() };
  try {
    const answer = await requestThroughGateway(options.gatewayUrl, options.host, options.path, options.timeoutMs ?? PROBE_TIMEOUT_MS);
    return { ...base, status: answer.status, routeHeader: answer.routeHeader ?? null, matches: answer.routeHeader === options.expectedRoute, timeMs: options.now() - started };
  } catch (error) {
    const cause = error as { code?: string; message?: string };
    return { ...base, status: null, routeHeader: null, matches: false, timeMs: options.now() - started, error: `the gateway could not be reached: ${cause.code ?? cause.message ?? String(error)}` };
  }
}

/**
 * At most one probe in flight per user: a second request for the same server meanwhile gets the running probe's
 * result, one for another of the user's servers is refused (409) until it ends.
 */
export class ProbeGate {
  private readonly inflight = new Map<string, { server: string; result: Promise<ProbeResult> }>();

  run(user: string, server: string, probe: () => Promise<ProbeResult>): Promise<ProbeResult> {
    const running = this.inflight.get(user);
    if (running?.server === server) return running.result;
    if (running) throw new ApiError(409, 'conflict', `a probe of another server of ${user} is running; try again in a few seconds`);
    const result = probe().finally(() => this.inflight.delete(user));
    this.inflight.set(user, { server, result });
    return result;
  }
}
