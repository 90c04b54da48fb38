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

/**
 * Whether a value is a KubeError. Checked by name, not instanceof: Next bundles lib/ once per
 * route and once for instrumentation, so an error made by the shared runtime can come from
 * another copy of this class.
 */
export function isKubeError(error: unknown): error is KubeError {
  return error instanceof Error && error.name === 'KubeError' && typeof (error as KubeError).status === 'number';
}

/**
 * Any error as a KubeError: the apiserver's answers are KubeErrors already (KubeRest, the local store);
 * anything else (the network, a timeout) means the apiserver could not be reached.
 */
export function toKubeError(error: unknown): KubeError {
  if (isKubeError(error)) return error;
  const message = error instanceof Error ? `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ''}` : String(error);
  return new KubeError(503, 'Unreachable', `Kubernetes API unreachable: ${message}`, { cause: error });
}

export const isNotFound = (e: unknown) => isKubeError(e) && e.status === 404;
export const isConflict = (e: unknown) => isKubeError(e) && e.status === 409;
export const isGone = (e: unknown) => isKubeError(e) && e.status === 410;
