import { describe, expect, it } from 'vitest';
import { clearedSessionCookies, csrfMatches, newSession, sessionCookies, signSession, verifySession, type Session } from './session';

const secret = 'a-session-secret-that-is-long-enough-0123';

describe('sessions', () => {
  const now = Date.parse('2026-11-24T10:00:00Z');
  const session = newSession('admin', 'admin', 3600, now);
  const cookie = signSession(secret, session);

  it('round-trips a signed session until it expires', () => {
    expect(verifySession(secret, cookie, now)).toEqual(session);
    expect(verifySession(secret, cookie, now + 3599_000)).toEqual(session);
    expect(verifySession(secret, cookie, now + 3600_000)).toBeUndefined();
  });

  it('refuses forged, altered, truncated or foreign cookies', () => {
    const [payload, signature] = cookie.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ ...session, sub: 'root' })).toString('base64url');
    expect(verifySession(secret, `${forged}.${signature}`, now)).toBeUndefined();
    expect(verifySession(secret, `${payload}.${signature.slice(0, -2)}`, now)).toBeUndefined();
    expect(verifySession(secret, payload, now)).toBeUndefined();
    expect(verifySession(secret, `${cookie}.x`, now)).toBeUndefined();
    expect(verifySession('another-secret-of-enough-length-0123456', cookie, now)).toBeUndefined();
    expect(verifySession(secret, undefined, now)).toBeUndefined();
    expect(verifySession(secret, 'garbage', now)).toBeUndefined();
  });

  it('binds the CSRF token to the session', () => {
    expect(session.csrf).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(csrfMatches(session, session.csrf)).toBe(true);
    expect(csrfMatches(session, newSession('admin', 'admin', 3600, now).csrf)).toBe(false);
    expect(csrfMatches(session, null)).toBe(false);
    expect(csrfMatches(session, '')).toBe(false);
  });

  it('carries the role, and refuses a signed session without a known one (a cookie from before roles)', () => {
    expect(verifySession(secret, signSession(secret, newSession('hub:ann', 'viewer', 3600, now)), now)).toMatchObject({ sub: 'hub:ann', role: 'viewer' });
    const roleless = { sub: 'admin', exp: Math.floor(now / 1000) + 3600, csrf: 'x'.repeat(32) } as unknown as Session;
    expect(verifySession(secret, signSession(secret, roleless), now)).toBeUndefined();
    expect(verifySession(secret, signSession(secret, { ...session, role: 'root' as Session['role'] }), now)).toBeUndefined();
  });

  it('gives every session its own id and issue time, and refuses a signed cookie without them (a cookie from before revocation)', () => {
    expect(session.sid).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(session.iat).toBe(now);
    expect(newSession('admin', 'admin', 3600, now).sid).not.toBe(session.sid);
    const withoutId = Object.fromEntries(Object.entries(session).filter(([key]) => key !== 'sid' && key !== 'iat')) as Session;
    expect(verifySession(secret, signSession(secret, withoutId), now)).toBeUndefined();
    expect(verifySession(secret, signSession(secret, { ...session, sid: 'short' }), now)).toBeUndefined();
    expect(verifySession(secret, signSession(secret, { ...session, iat: 'yesterday' as unknown as number }), now)).toBeUndefined();
  });

  it("carries a hub session's sealed token as it was signed", () => {
    const hubSession = { ...newSession('hub:ann', 'admin', 3600, now), hub: 'sealed-token' };
    expect(verifySession(secret, signSession(secret, hubSession), now)).toEqual(hubSession);
    expect(verifySession(secret, signSession(secret, { ...hubSession, hub: 42 as unknown as string }), now)).toBeUndefined();
  });

  it('sets Secure cookies over TLS only, the session httpOnly and the CSRF token readable', () => {
    const [sessionCookie, csrfCookie] = sessionCookies(secret, session, 60, true);
    expect(sessionCookie).toMatch(/^hubmesh_session=.+; Path=\/; Max-Age=60; SameSite=Strict; HttpOnly; Secure$/);
    expect(csrfCookie).toBe(`hubmesh_csrf=${session.csrf}; Path=/; Max-Age=60; SameSite=Strict; Secure`);
    expect(sessionCookies(secret, session, 60, false).every((c) => !c.includes('Secure'))).toBe(true);
    expect(clearedSessionCookies(false)).toEqual(['hubmesh_session=; Path=/; Max-Age=0; SameSite=Strict; HttpOnly', 'hubmesh_csrf=; Path=/; Max-Age=0; SameSite=Strict']);
  });
});
