import { createHash } from 'node:crypto';
import { ApiError } from '../api-error';

export const ROUTES_API_PREFIX = '/api/routes';

/** CHP's normalisation: a leading "/", and one trailing "/" removed unless the path is "/". */
export function normalizeRoutePath(path: string): string {
  let p = path.startsWith('/') ? path : `/${path}`;
  if (p !== '/' && p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

/**
 * The route a proxy-API request names, from its still percent-encoded pathname: the tail after
 * /api/routes, percent-decoded once and normalised. Throws an ApiError: other paths are not the proxy API
 * (404), a broken escape is 400.
 */
export function routePathFromRequest(pathname: string): string {
  if (pathname !== ROUTES_API_PREFIX && !pathname.startsWith(`${ROUTES_API_PREFIX}/`)) {
    throw new ApiError(404, 'not-found', `no such API path: ${pathname}`);
  }
  const tail = pathname.slice(ROUTES_API_PREFIX.length);
  let decoded: string;
  try {
    decoded = decodeURIComponent(tail);
  } catch {
    throw new ApiError(400, 'invalid-input', `route path ${JSON.stringify(tail)} is not valid percent-encoding`);
  }
  return normalizeRoutePath(decoded);
}

/**
 * A route path as it travels in URLs: JupyterHub's quoting, Python's quote(path, safe='@/~').
 * The hub links users to this form and browsers send it, and Envoy matches the raw path without
 * decoding it, so VirtualService matches must use it, not the decoded key.
 */
export function quoteRoutePath(path: string): string {
  return encodeURIComponent(path)
    .replace(/%2F/g, '/')
    .replace(/%40/g, '@')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Whether `prefix` is `path` or above it, segment by segment ("/user/al" does not cover "/user/alice"). */
export function coversPath(prefix: string, path: string): boolean {
  return prefix === '/' || path === prefix || path.startsWith(`${prefix}/`);
}

/** With host routing, the first segment of every route but "/" is the host, as in CHP's --host-routing. */
export function splitHostRoute(path: string, hostRouting: boolean): { host: string | undefined; path: string } {
  if (!hostRouting || path === '/') return { host: undefined, path };
  const slash = path.indexOf('/', 1);
  const host = (slash === -1 ? path.slice(1) : path.slice(1, slash)).toLowerCase();
  return { host, path: slash === -1 ? '/' : path.slice(slash) };
}

const shortHash = (value: string, length: number) => createHash('sha256').update(value).digest('hex').slice(0, length);

function slug(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * A VirtualService name for a route: DNS-1123, at most 63 characters, readable (prefix and the
 * route's words) and unique through a hash of the exact route path, so it is stable per route.
 */
export function virtualServiceName(prefix: string, routePath: string): string {
  const hash = shortHash(routePath, 10);
  const readable = slug(routePath) || 'root';
  const head = `${prefix}-${readable}`.slice(0, 63 - hash.length - 1).replace(/-+$/, '');
  return `${head}-${hash}`;
}

const labelValuePattern = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A Kubernetes label value for any string: itself when valid, else a readable slug with a hash of the original. */
export function labelValue(value: string): string {
  if (value.length <= 63 && labelValuePattern.test(value)) return value;
  const hash = shortHash(value, 10);
  const head = slug(value).slice(0, 63 - hash.length - 1).replace(/-+$/, '');
  return head ? `${head}-${hash}` : hash;
}
