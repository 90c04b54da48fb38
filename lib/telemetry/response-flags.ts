/**
 * Envoy's response flags (the `response_flags` label of Istio's request metrics, `%RESPONSE_FLAGS%` in an access
 * log) in a JupyterHub admin's words. The codes are Envoy's (source/common/stream_info/utility.h); "upstream" is
 * whoever the reporting proxy forwards to, which for a notebook route is the notebook server.
 */
import { promqlString } from './promql';

export type ResponseFlag = {
  /** Envoy's short code, e.g. UF */
  code: string;
  /** false for a code this list does not know (a newer Envoy's, or a custom one): then only `code` is Envoy's */
  known: boolean;
  /** Envoy's long name, e.g. UpstreamConnectionFailure */
  name: string;
  /** what happened, in plain words */
  meaning: string;
  /** where to look */
  hint: string;
};

type Explanation = Omit<ResponseFlag, 'code' | 'known'>;

const FLAGS: Record<string, Explanation> = {
  UH: {
    name: 'NoHealthyUpstream',
    meaning: 'no notebook pod was ready to take the request (503)',
    hint: "check that the user's pod is Running and Ready and that the Service's selector matches it (its Endpoints are empty otherwise)",
  },
  UF: {
    name: 'UpstreamConnectionFailure',
    meaning: 'the gateway could not connect to the notebook (503)',
    hint: "check that the pod's sidecar is ready, the Service's port and any NetworkPolicy; a DestinationRule without mTLS in front of a STRICT notebook fails the same way",
  },
  UO: {
    name: 'UpstreamOverflow',
    meaning: 'the circuit breaker turned the request away: too many connections or pending requests to the notebook (503)',
    hint: "raise the connection pool limits of the notebook's DestinationRule (the notebook defaults' circuit breaking) if this user's traffic is legitimate",
  },
  NR: {
    name: 'NoRouteFound',
    meaning: "no route matched the request's host and path (404)",
    hint: "check that the hub added the user's route (the server is running) and that the Gateway's hosts include the requested host",
  },
  URX: {
    name: 'UpstreamRetryLimitExceeded',
    meaning: 'the request failed after every retry',
    hint: 'the flag beside it says why the last try failed',
  },
  NC: {
    name: 'NoClusterFound',
    meaning: 'the route points to a Service the proxy does not know',
    hint: "check that the route's destination Service exists and that istiod has pushed it to the gateway (exportTo, Sidecar resources)",
  },
  DT: {
    name: 'DurationTimeout',
    meaning: 'the request or connection lasted longer than its maximum duration',
    hint: 'a max connection or stream duration in the mesh configuration or a DestinationRule cut it',
  },
  LH: {
    name: 'FailedLocalHealthCheck',
    meaning: "the notebook's sidecar considers the notebook unhealthy (503)",
    hint: "check the notebook container's readiness and its logs",
  },
  UT: {
    name: 'UpstreamRequestTimeout',
    meaning: "the notebook took longer than the route's timeout to answer (504)",
    hint: 'raise the route timeout (HUBMESH_ROUTE_TIMEOUT) for long requests, or look at what keeps the notebook busy',
  },
  LR: {
    name: 'LocalReset',
    meaning: 'the proxy reset the request itself (503)',
    hint: 'usually a proxy-side limit or a configuration change draining connections; look at the proxy logs',
  },
  UR: {
    name: 'UpstreamRemoteReset',
    meaning: 'the notebook reset the connection before answering (503)',
    hint: "the notebook server may have crashed or restarted: check the pod's restarts and logs",
  },
  UC: {
    name: 'UpstreamConnectionTermination',
    meaning: 'the notebook closed the connection before answering (503)',
    hint: "the notebook server may have crashed, restarted or hit an idle timeout: check the pod's restarts and logs",
  },
  DI: {
    name: 'DelayInjected',
    meaning: 'a fault injection delayed the request on purpose',
    hint: 'a fault overlay is active on this route; remove it when the test is done',
  },
  FI: {
    name: 'FaultInjected',
    meaning: 'a fault injection aborted the request on purpose',
    hint: 'a fault overlay is active on this route; remove it when the test is done',
  },
  RL: {
    name: 'RateLimited',
    meaning: 'the rate limit turned the request away (429)',
    hint: "the route's own rate limit or the notebook defaults' applies; raise it if this traffic is legitimate",
  },
  UAEX: {
    name: 'UnauthorizedExternalService',
    meaning: 'the external authorizer denied the request (403)',
    hint: 'an AuthorizationPolicy with action CUSTOM sent the request to an external authorizer (e.g. oauth2-proxy), which said no',
  },
  RLSE: {
    name: 'RateLimitServiceError',
    meaning: 'the rate limit service could not be asked, and the request was refused (500)',
    hint: 'check that the global rate limit service is running and reachable from the gateway',
  },
  SI: {
    name: 'StreamIdleTimeout',
    meaning: 'the request sat idle longer than the stream idle timeout (408 or 504)',
    hint: 'idle streams are cut after the idle timeout; long-polling or quiet websockets may need a longer one',
  },
  IH: {
    name: 'InvalidEnvoyRequestHeaders',
    meaning: 'the request carried an invalid value in a header the proxy checks strictly (400)',
    hint: 'look at the x-envoy-* headers the client sends',
  },
  DPE: {
    name: 'DownstreamProtocolError',
    meaning: "the caller's request broke the HTTP protocol",
    hint: 'the client (or a proxy in front of the gateway) sent malformed HTTP',
  },
  UMSDR: {
    name: 'UpstreamMaxStreamDurationReached',
    meaning: 'the request reached its maximum stream duration and was cut',
    hint: 'long-lived requests such as websockets are cut by a max stream duration; raise or remove it for notebook routes',
  },
  RFCF: {
    name: 'ResponseFromCacheFilter',
    meaning: "the answer came from the proxy's cache",
    hint: 'not a failure',
  },
  NFCF: {
    name: 'NoFilterConfigFound',
    meaning: 'a filter of the proxy had no configuration yet, and the request was refused (500)',
    hint: 'istiod has not delivered an extension configuration (EnvoyFilter, WasmPlugin); check its pushes',
  },
  UPE: {
    name: 'UpstreamProtocolError',
    meaning: "the notebook's answer broke the HTTP protocol (503)",
    hint: "check that the Service port's name or appProtocol says the protocol the notebook speaks (http, not http2 or grpc)",
  },
  OM: {
    name: 'OverloadManagerTerminated',
    meaning: 'the proxy was overloaded and shed the request (503)',
    hint: "the gateway's or sidecar's proxy is short of memory or connections: check its resources",
  },
  DF: {
    name: 'DnsResolutionFailed',
    meaning: "the proxy could not resolve the destination's DNS name (503)",
    hint: 'check the ServiceEntry or the DNS name the route points to',
  },
  DO: {
    name: 'DropOverload',
    meaning: 'the request was dropped by a load-shedding policy (503)',
    hint: "a drop_overload setting of the destination's cluster applies",
  },
  DC: {
    name: 'DownstreamConnectionTermination',
    meaning: 'the browser or caller went away before the answer',
    hint: 'usually harmless (a closed tab, a client timeout); many of them point to slow answers',
  },
};

/**
 * Flags of a request the caller's proxy answered itself, never forwarding it to the destination: no destination
 * proxy reported it, so only the caller's report (reporter="source", e.g. the gateway's 503 UF,URX) counts it, and
 * adding those reports to the destination's does not count a request twice. Each: no healthy endpoint (UH), no
 * connection could be made (UF; with URX the last of the retries could not connect, and an earlier try that did get
 * through, which is rare, is also in the destination's reports), circuit breaker overflow (UO), no route
 * or cluster (NR, NC), refused by the external authorizer, the rate limit or its service (UAEX, RL, RLSE), aborted
 * by fault injection (FI), invalid strict header (IH), overload (OM, DO), DNS failure (DF), missing filter
 * configuration (NFCF). Left out because the destination saw the request and reported it: URX alone (every try got
 * an answer), UT (the destination reports it, cut short), UC and UR (the notebook dropped a request it had), DC
 * (the caller left), DI (delayed, then forwarded), SI, UMSDR, DT, LR, UPE, DPE.
 */
export const NEVER_FORWARDED: readonly string[] = ['UH', 'UF', 'UO', 'NR', 'NC', 'UAEX', 'RL', 'RLSE', 'FI', 'IH', 'OM', 'DO', 'DF', 'NFCF'];

/** The value of a `response_flags=~` matcher, quoted: Envoy joins a request's flags with ",", so any one of them is NEVER_FORWARDED. */
export const NEVER_FORWARDED_MATCH = promqlString(`(.*,)?(${NEVER_FORWARDED.join('|')})(,.*)?`);

/** Envoy's flags of one request: it joins several with ","; "-" (or nothing) means none. */
export function splitResponseFlags(flags: string | undefined): string[] {
  if (flags === undefined || flags === '' || flags === '-') return [];
  return flags.split(',').filter((code) => code !== '');
}

/** One flag in plain words; a code this list does not know is kept as it is. */
export function responseFlag(code: string): ResponseFlag {
  const known = Object.hasOwn(FLAGS, code) ? FLAGS[code] : undefined;
  if (known) return { code, known: true, ...known };
  return { code, known: false, name: code, meaning: `Envoy response flag ${code}`, hint: "see Envoy's access log documentation (%RESPONSE_FLAGS%)" };
}

/** The flags of one request (e.g. "UF,URX") in plain words, in Envoy's order. */
export function explainResponseFlags(flags: string | undefined): ResponseFlag[] {
  return splitResponseFlags(flags).map(responseFlag);
}
