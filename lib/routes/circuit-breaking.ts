import { z } from 'zod';
import type { DestinationRule } from '../kube/destinationrules';
import { duration, istioDuration } from './overlay-sections/durations';

const count = (max: number) => z.number().int('must be a whole number').min(1, `must be 1 to ${max}`).max(max, `must be 1 to ${max}`);

/**
 * Circuit breaking for notebook Services, as the gateway (and every sidecar) calls them: at most so many
 * connections and queued or parallel requests (beyond, Envoy answers 503 at once, flag UO), and a server that
 * keeps failing is taken out of the pool for a while (outlier detection; a notebook has one pod, so this
 * sends 503 quickly instead of waiting on a broken server).
 */
export const circuitBreaking = z.strictObject({
  connectionPool: z
    .strictObject({
      maxConnections: count(1_000_000).optional(),
      http1MaxPendingRequests: count(1_000_000).optional(),
      http2MaxRequests: count(1_000_000).optional(),
      maxRequestsPerConnection: count(1_000_000).optional(),
    })
    .optional(),
  outlierDetection: z
    .strictObject({
      consecutive5xxErrors: count(1000).optional(),
      consecutiveGatewayErrors: count(1000).optional(),
      interval: duration(1, 3_600_000).default('10s'),
      baseEjectionTime: duration(1, 3_600_000).default('30s'),
      maxEjectionPercent: z.number().int().min(0, 'must be 0 to 100').max(100, 'must be 0 to 100').default(100),
    })
    .optional(),
});

export type CircuitBreaking = z.infer<typeof circuitBreaking>;

export function describeCircuitBreaking(cb: CircuitBreaking): string {
  const pool = cb.connectionPool;
  const outlier = cb.outlierDetection;
  const parts = [
    ...(pool?.maxConnections ? [`${pool.maxConnections} connections`] : []),
    ...(pool?.http1MaxPendingRequests ? [`${pool.http1MaxPendingRequests} queued requests`] : []),
    ...(pool?.http2MaxRequests ? [`${pool.http2MaxRequests} requests at once`] : []),
    ...(outlier?.consecutive5xxErrors || outlier?.consecutiveGatewayErrors
      ? [`out for ${outlier.baseEjectionTime} after ${outlier.consecutive5xxErrors ? `${outlier.consecutive5xxErrors} 5xx` : `${outlier.consecutiveGatewayErrors} gateway errors`} in a row`]
      : []),
  ];
  return parts.length ? `circuit breaking: ${parts.join(', ')}` : 'circuit breaking: no limits';
}

/** The DestinationRule's traffic policy; with auto mTLS off it keeps Istio's mTLS itself (a rule without tls would be plaintext then). */
export function trafficPolicyOf(cb: CircuitBreaking, autoMtls: boolean): NonNullable<DestinationRule['spec']>['trafficPolicy'] {
  const pool = cb.connectionPool;
  const outlier = cb.outlierDetection;
  return {
    ...(autoMtls ? {} : { tls: { mode: 'ISTIO_MUTUAL' as const } }),
    ...(pool
      ? {
          connectionPool: {
            ...(pool.maxConnections ? { tcp: { maxConnections: pool.maxConnections } } : {}),
            ...(pool.http1MaxPendingRequests || pool.http2MaxRequests || pool.maxRequestsPerConnection
              ? {
                  http: {
                    ...(pool.http1MaxPendingRequests ? { http1MaxPendingRequests: pool.http1MaxPendingRequests } : {}),
                    ...(pool.http2MaxRequests ? { http2MaxRequests: pool.http2MaxRequests } : {}),
                    ...(pool.maxRequestsPerConnection ? { maxRequestsPerConnection: pool.maxRequestsPerConnection } : {}),
                  },
                }
              : {}),
          },
        }
      : {}),
    ...(outlier
      ? {
          outlierDetection: {
            ...(outlier.consecutive5xxErrors ? { consecutive5xxErrors: outlier.consecutive5xxErrors } : {}),
            ...(outlier.consecutiveGatewayErrors ? { consecutiveGatewayErrors: outlier.consecutiveGatewayErrors } : {}),
            interval: istioDuration(outlier.interval),
            baseEjectionTime: istioDuration(outlier.baseEjectionTime),
            maxEjectionPercent: outlier.maxEjectionPercent,
          },
        }
      : {}),
  };
}
