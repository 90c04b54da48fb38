/**
 * What a client may branch on when hubmesh refuses or fails a request; the message is for people and may
 * change, the code does not.
 */
export type ApiErrorCode =
  /** 400: a body, query parameter or path the client can fix */
  | 'invalid-input'
  /** 401: a wrong credential */
  | 'unauthorized'
  /** 403: this caller may not do this */
  | 'forbidden'
  /** 404 */
  | 'not-found'
  /** 405 */
  | 'method-not-allowed'
  /** 409: a name taken, an object hubmesh does not manage, a field another manager owns */
  | 'conflict'
  /** 409: a mesh action on an object another field manager owns, without a confirmed takeover */
  | 'takeover-required'
  /** 409: a change that hits real users (a fault without scope), without the admin's explicit confirmation */
  | 'confirmation-required'
  /** 409: it needs a cluster (with Istio); hubmesh runs in local mode */
  | 'local-mode'
  /** 409 or 503: it needs a setting that is not set */
  | 'not-configured'
  /** 413 */
  | 'too-large'
  /** the apiserver refused the change (its 4xx) */
  | 'rejected'
  /** 503: the apiserver could not be reached or failed */
  | 'kube-unavailable'
  /** 503: hubmesh's own Kubernetes identity lacks a permission (RBAC) */
  | 'kube-forbidden'
  /** 503: Prometheus could not be reached or failed */
  | 'prometheus-unavailable'
  /** 503: hubmesh's configuration is not usable */
  | 'config'
  /** 500 */
  | 'internal';

export type FieldError = { field: string; message: string };

export type ApiErrorOptions = {
  /** each input field at fault, in order; the first is the answer's `field` */
  fields?: readonly FieldError[];
  /** more the answer carries, as fields of its body (a mesh action's apiserver reason and stage) */
  details?: Readonly<Record<string, unknown>>;
  headers?: Readonly<Record<string, string>>;
  cause?: unknown;
};

/** A refusal or failure from lib to HTTP: lib throws it, and lib/http/api.ts answers it, in one place. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly fields: readonly FieldError[];
  readonly details: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.fields = options.fields ?? [];
    this.details = options.details ?? {};
    this.headers = options.headers ?? {};
  }

  /** The input field at fault, when there is one. */
  get field(): string | undefined {
    return this.fields[0]?.field;
  }
}

/** Checked by name, like isKubeError: Next may bundle this module more than once. */
export function isApiError(error: unknown): error is ApiError {
  return error instanceof Error && error.name === 'ApiError' && typeof (error as ApiError).status === 'number';
}

/** A 400 for one input field, named first in the message as every form error is: `field: message`. */
export const invalidField = (field: string, message: string) => new ApiError(400, 'invalid-input', `${field}: ${message}`, { fields: [{ field, message }] });

/** The 409 of whatever needs a cluster, in local mode: `need` says what it needs. */
export const localModeError = (need: string) => new ApiError(409, 'local-mode', `${need}; hubmesh runs in local mode`);

/** The answer `answer()` gives, or undefined when it refuses (an ApiError): for a page that renders without its first data. */
export function unlessRefused<T>(answer: () => T): T | undefined {
  try {
    return answer();
  } catch (error) {
    if (isApiError(error)) return undefined;
    throw error;
  }
}
