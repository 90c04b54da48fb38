import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from './roles';

export const SESSION_COOKIE = 'hubmesh_session';
export const CSRF_COOKIE = 'hubmesh_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export type Session = {
  /** who signed in: "admin" (the admin token) or "hub:<name>" (JupyterHub sign-in) */
  sub: string;
  /** what they may do, see roles.ts */
  role: Role;
  /** expiry, seconds since the epoch */
  exp: number;
  /** the CSRF token mutating requests must echo in the x-csrf-token header */
  csrf: string;
  /** the session's id: what sign-out revokes (revocations.ts) */
  sid: string;
  /** when it was issued, milliseconds since the epoch: revocations may end every session issued before a time */
  iat: number;
  /** a hub session's hub OAuth access token, sealed (hub-token-seal.ts), for re-checking the role */
  hub?: string;
};

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');
const mac = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest();

const ROLES = new Set<string>(['admin', 'viewer', 'engineer']);
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

export function newSession(sub: string, role: Role, ttlSeconds: number, now = Date.now()): Session {
  return { sub, role, exp: Math.floor(now / 1000) + ttlSeconds, csrf: randomBytes(24).toString('base64url'), sid: randomBytes(16).toString('base64url'), iat: now };
}

/** "<payload>.<hmac>", both base64url: tamper-evident, not secret (it holds no credentials). */
export function signSession(secret: string, session: Session): string {
  const payload = b64(JSON.stringify(session));
  return `${payload}.${b64(mac(secret, payload))}`;
}

/**
 * The session a cookie carries, or undefined when it is missing, forged, expired or from before session ids.
 * Whether it was revoked since is revocations.ts's to say.
 */
export function verifySession(secret: string, cookie: string | undefined, now = Date.now()): Session | undefined {
  if (!cookie) return undefined;
  const [payload, signature, extra] = cookie.split('.');
  if (!payload || !signature || extra !== undefined) return undefined;
  const expected = mac(secret, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const session = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Session;
    if (typeof session.sub !== 'string' || typeof session.exp !== 'number' || typeof session.csrf !== 'string' || !ROLES.has(session.role)) return undefined;
    if (typeof session.sid !== 'string' || !SESSION_ID.test(session.sid) || typeof session.iat !== 'number' || (session.hub !== undefined && typeof session.hub !== 'string')) return undefined;
    return session.exp * 1000 > now ? session : undefined;
  } catch {
    return undefined;
  }
}

/** A mutating request must carry the session's CSRF token in its header (double submit, bound to the session). */
export function csrfMatches(session: Session, header: string | null): boolean {
  if (!header) return false;
  const a = Buffer.from(header);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The Set-Cookie values of a new session: the signed session (httpOnly) and its CSRF token (readable by the page). */
export function sessionCookies(secret: string, session: Session, ttlSeconds: number, secure: boolean): string[] {
  return [cookie(SESSION_COOKIE, signSession(secret, session), ttlSeconds, { httpOnly: true, secure }), cookie(CSRF_COOKIE, session.csrf, ttlSeconds, { httpOnly: false, secure })];
}

/** The Set-Cookie values that end a session. */
export function clearedSessionCookies(secure: boolean): string[] {
  return [cookie(SESSION_COOKIE, '', 0, { httpOnly: true, secure }), cookie(CSRF_COOKIE, '', 0, { httpOnly: false, secure })];
}

function cookie(name: string, value: string, maxAge: number, options: { httpOnly: boolean; secure: boolean }) {
  return [`${name}=${value}`, 'Path=/', `Max-Age=${maxAge}`, 'SameSite=Strict', options.httpOnly ? 'HttpOnly' : '', options.secure ? 'Secure' : ''].filter(Boolean).join('; ');
}

/** Whether the browser reached hubmesh over TLS (directly or through the gateway): then cookies are Secure. */
export function overTls(request: { headers: Headers; nextUrl: URL }): boolean {
  return schemeIsHttps(request.headers.get('x-forwarded-proto'), request.nextUrl.protocol.replace(':', ''));
}

/** Whether the client's scheme is https: the first X-Forwarded-Proto (set by the gateway), else the server's own. */
export function schemeIsHttps(forwardedProto: string | null | undefined, own: string): boolean {
  return (forwardedProto?.split(',')[0]?.trim() || own) === 'https';
}
