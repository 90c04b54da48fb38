/**
 * Ended console sessions, as the data of one ConfigMap every replica watches (revocation-store.ts): each
 * revoked session id maps to the session's own expiry (seconds since the epoch, after which the cookie is
 * refused anyway and the entry is pruned), and ISSUED_BEFORE, when present, ends every session issued
 * before that time (RFC 3339).
 */
export const ISSUED_BEFORE = 'issued-before';

/**
 * About 40 bytes an entry: 5,000 keep the ConfigMap near 200 KB, far from its 1 MiB limit, and each write
 * (the whole object goes to every replica's watch) small. Sign-outs within one session lifetime beyond that
 * rotate the list (withRevoked).
 */
export const MAX_REVOKED_SESSIONS = 5000;

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

export type Revocations = {
  /** session id → the session's expiry, seconds since the epoch */
  sids: ReadonlyMap<string, number>;
  /** sessions issued before this time (ms since the epoch) are ended; undefined: none */
  issuedBefore: number | undefined;
  /** keys whose entry makes no sense (hand-edited), for a warning; ignored otherwise */
  invalid: string[];
};

export function readRevocations(data: Readonly<Record<string, string>> | undefined): Revocations {
  const sids = new Map<string, number>();
  const invalid: string[] = [];
  let issuedBefore: number | undefined;
  for (const [key, value] of Object.entries(data ?? {})) {
    if (key === ISSUED_BEFORE) {
      const at = Date.parse(value);
      if (Number.isNaN(at)) invalid.push(key);
      else issuedBefore = at;
    } else if (SESSION_ID.test(key) && /^\d{1,12}$/.test(value)) {
      sids.set(key, Number(value));
    } else {
      invalid.push(key);
    }
  }
  return { sids, issuedBefore, invalid };
}

export function isRevoked(revocations: Revocations, session: { sid: string; iat: number }): boolean {
  return revocations.sids.has(session.sid) || (revocations.issuedBefore !== undefined && session.iat < revocations.issuedBefore);
}

/**
 * The ConfigMap data after revoking a session: entries of sessions that have expired by now are pruned
 * (their cookies are refused anyway). When the list is still full, it rotates rather than refusing: every
 * session issued before now ends (ISSUED_BEFORE, which covers the one being revoked), and the list starts
 * empty; everyone signs in again, and no sign-out is ever lost.
 */
export function withRevoked(
  data: Readonly<Record<string, string>> | undefined,
  session: { sid: string; exp: number },
  now: number,
  max = MAX_REVOKED_SESSIONS,
): { data: Record<string, string>; rotated: boolean } {
  const nowSeconds = Math.floor(now / 1000);
  const kept = Object.entries(data ?? {}).filter(([key, value]) => !SESSION_ID.test(key) || Number(value) > nowSeconds);
  const entries = kept.filter(([key]) => SESSION_ID.test(key) && key !== session.sid).length;
  if (entries >= max) return { data: { [ISSUED_BEFORE]: new Date(now).toISOString() }, rotated: true };
  return { data: { ...Object.fromEntries(kept), [session.sid]: String(session.exp) }, rotated: false };
}
