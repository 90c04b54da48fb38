import { ApiException } from '@kubernetes/client-node';

/** A failure talking to Kubernetes, with the HTTP status the apiserver gave (or 503 when it could not be reached). */
export class KubeError extends Error {
  override name = 'KubeError';
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

}

type StatusBody = { reason?: string; message?: string };

function parseStatusBody(body: unknown): StatusBody {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return { message: body };
    }
  }
  return (body ?? {}) as StatusBody;
}

/**
 * Whether a value is a KubeError. Checked by name, not instanceof: Next bundles lib/ once per
 * route and once for instrumentation, so an error made by the shared runtime can come from
 * another copy of this class.
 */
export function isKubeError(error: unknown): error is KubeError {
  return error instanceof Error && error.name === 'KubeError' && typeof (error as KubeError).status === 'number';
}

/** Turns whatever client-node or the network threw into a KubeError. */
export function toKubeError(error: unknown): KubeError {
  if (isKubeError(error)) return error;
  if (error instanceof ApiException) {
    const status = parseStatusBody(error.body);
    return new KubeError(error.code, status.reason ?? `HTTP${error.code}`, status.message ?? `apiserver answered ${error.code}`, {
      cause: error,
    });
  }
  const statusCode = (error as { statusCode?: unknown })?.statusCode;
  if (typeof statusCode === 'number') {
    return new KubeError(statusCode, statusCode === 410 ? 'Expired' : `HTTP${statusCode}`, String((error as Error).message), {
      cause: error,
    });
  }
  const message = error instanceof Error ? `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ''}` : String(error);
  return new KubeError(503, 'Unreachable', `Kubernetes API unreachable: ${message}`, { cause: error });
}

export const isNotFound = (e: unknown) => isKubeError(e) && e.status === 404;
export const isConflict = (e: unknown) => isKubeError(e) && e.status === 409;
export const isGone = (e: unknown) => isKubeError(e) && e.status === 410;
