import type { IncomingHttpHeaders } from 'node:http';
import { PROXY_TOKEN_REFUSED, proxyTokenMatches, type ProxyToken } from '../auth/proxy-token';
import { ROUTES_API_PREFIX } from '../routes/routespec';

/**
 * The front door: what hubmesh's HTTP server decides about a request from its request line and
 * headers alone, before Next.js sees it and before any body byte is read. Next answers malformed
 * targets with plain-text 500s, follows absolute-form targets to other hosts, and buffers bodies for
 * its proxy; so requests Next must not see are answered here, as JSON.
 */

export const ALLOWED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export type FrontDoorRequest = { method: string; rawTarget: string; headers: IncomingHttpHeaders };
export type FrontDoorDeps = { proxyToken: ProxyToken; maxBodyBytes: number };

/** A refusal: the JSON `{status, error}` answer, and whether to close the connection rather than read an announced body. */
export type FrontDoorAnswer = { status: number; error: string; close: boolean; headers?: Record<string, string> };
/**
 * Who serves a request that passes: 'proxy-api' for the hub proxy API in its plain form (lib/http/proxy-api.ts);
 * 'app' for the rest, Next. A proxy-API target with repeated slashes goes to Next too, which redirects it
 * (308) to the collapsed path before any route sees it, as it always has.
 */
export type FrontDoorVerdict = { pass: true; serve: 'proxy-api' | 'app' } | ({ pass: false } & FrontDoorAnswer);

export const bodyTooLarge = (maxBytes: number) => `body is larger than ${maxBytes} bytes`;

export function frontDoorVerdict(request: FrontDoorRequest, deps: FrontDoorDeps): FrontDoorVerdict {
  const { method, rawTarget, headers } = request;
  const announcesBody = headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
  const refuse = (status: number, error: string, extra: Partial<FrontDoorAnswer> = {}): FrontDoorVerdict => ({ pass: false, status, error, close: announcesBody, ...extra });

  if (!(ALLOWED_METHODS as readonly string[]).includes(method)) {
    return refuse(405, `method ${method} is not allowed; hubmesh takes ${ALLOWED_METHODS.join(', ')}`, { headers: { allow: ALLOWED_METHODS.join(', ') } });
  }
  const problem = targetProblem(rawTarget);
  if (problem) return refuse(400, problem);
  const proxyApi = isProxyApi(rawTarget);
  if (proxyApi && !proxyTokenMatches(deps.proxyToken, headers.authorization ?? null)) return refuse(403, PROXY_TOKEN_REFUSED);
  if (Number(headers['content-length']) > deps.maxBodyBytes) return refuse(413, bodyTooLarge(deps.maxBodyBytes), { close: true });
  return { pass: true, serve: proxyApi && !pathOf(rawTarget).includes('//') ? 'proxy-api' : 'app' };
}

/** Why a request target cannot be served, or undefined when it is a well-formed path (origin-form). */
function targetProblem(rawTarget: string): string | undefined {
  if (rawTarget === '*') return 'request target "*" is not served; ask for a path such as /healthz';
  if (!rawTarget.startsWith('/')) return 'request target must be a path starting with "/", not an absolute URL or host';
  // Node's parser refuses these already; checked again so no parser setting can let them through
  if (/[^\x21-\x7e]/.test(rawTarget)) return 'request target has a space, control or non-ASCII character; percent-encode it';
  // URL parsers read "\" as "/", so a raw one could make a path mean two things
  if (rawTarget.includes('\\')) return 'request target has a backslash; percent-encode it as %5C';
  const path = pathOf(rawTarget);
  const badEscape = /%(?![0-9A-Fa-f]{2})/.exec(path);
  if (badEscape) return `path has a "%" not followed by two hex digits: ${JSON.stringify(path.slice(badEscape.index, badEscape.index + 3))}`;
  // decodeURIComponent refuses exactly the escapes that are not UTF-8 (bad, overlong or surrogate sequences); runs decode independently
  for (const [run] of path.matchAll(/(?:%[0-9A-Fa-f]{2})+/g)) {
    try {
      decodeURIComponent(run);
    } catch {
      return `path has percent-encoded bytes that are not UTF-8: ${run}`;
    }
  }
  return undefined;
}

const pathOf = (target: string) => target.split(/[?#]/, 1)[0]!;

/**
 * Whether a well-formed target reaches the hub proxy API, read as Next's router may read it: dot
 * segments resolved, repeated slashes collapsed, percent-decoded (so %2e%2e or %72 cannot slip past).
 */
function isProxyApi(rawTarget: string): boolean {
  const resolved = new URL(`http://front-door.invalid${pathOf(rawTarget)}`).pathname.replace(/\/{2,}/g, '/');
  const decoded = decodeURIComponent(resolved);
  return decoded === ROUTES_API_PREFIX || decoded.startsWith(`${ROUTES_API_PREFIX}/`);
}
