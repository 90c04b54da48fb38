import { ApiError } from '../api-error';
import type { HubRoleRechecker } from './hub-recheck';
import { openHubToken } from './hub-token-seal';
import type { SessionRevocationStore } from './revocation-store';
import { verifySession, type Session } from './session';

export type SessionCheck =
  | { ok: true; session: Session }
  /** no session: none, forged, expired, revoked, or ended by the hub's re-check */
  | { ok: false; status: 401; error: string }
  /** the revocations are not known well enough to let this request through */
  | { ok: false; status: 503; error: string };

const signIn = (error: string): SessionCheck => ({ ok: false, status: 401, error });

/** A failed check as the error it answers: no session (401), or revocations not known yet (503, to retry). */
export function sessionRefusal(checked: Extract<SessionCheck, { ok: false }>): ApiError {
  if (checked.status === 401) return new ApiError(401, 'unauthorized', checked.error);
  return new ApiError(503, 'kube-unavailable', checked.error, { headers: { 'retry-after': '1' } });
}
const FIRST_SYNC_WAIT_MS = 2000;

/**
 * Whether a console session cookie is good: signed, unexpired, not revoked, and for a hub session, still the
 * role the hub gives its user. The gate (proxy.ts) and the session route ask here.
 *
 * While the revocation cache re-lists (the watch broke), a read is judged by the last list the watch
 * delivered and a mutation is refused with 503: a sign-out made meanwhile on another replica may not be
 * known yet, and reads are worth keeping through an apiserver blip. Before the first list (briefly at
 * start-up; for good when RBAC forbids the ConfigMap), both get 503 saying why.
 */
export class SessionGuard {
  constructor(
    private readonly deps: {
      secret: string;
      revocations: SessionRevocationStore;
      /** undefined when JupyterHub sign-in is not configured: hub sessions are then refused */
      rechecker: HubRoleRechecker | undefined;
    },
  ) {}

  /** Signature, expiry and revocation: what needs no call to the hub. */
  verify(cookie: string | undefined, request: { mutation: boolean }): SessionCheck {
    const session = verifySession(this.deps.secret, cookie);
    if (!session) return signIn('sign in first');
    const freshness = this.deps.revocations.freshness();
    if (freshness === 'unknown' || (request.mutation && freshness !== 'synced')) {
      const why = this.deps.revocations.whyUnsynced();
      return { ok: false, status: 503, error: `ended sessions are not known yet, so sessions cannot be checked${why ? `: ${why}` : ''}; try again in a moment` };
    }
    if (this.deps.revocations.isRevoked(session)) return signIn('this session has ended; sign in again');
    return { ok: true, session };
  }

  /** verify, then a hub session's role against the hub (at most once per re-check interval). */
  async check(cookie: string | undefined, request: { mutation: boolean }): Promise<SessionCheck> {
    let verified = this.verify(cookie, request);
    const { revocations } = this.deps;
    // a replica that has just started lists the revocations within moments: wait for that rather than answer 503
    if (!verified.ok && verified.status === 503 && revocations.freshness() === 'unknown' && revocations.whyUnsynced() === undefined) {
      await revocations.cache.waitForSync(FIRST_SYNC_WAIT_MS);
      verified = this.verify(cookie, request);
    }
    if (!verified.ok || !verified.session.sub.startsWith('hub:')) return verified;
    const { session } = verified;
    const { rechecker, secret } = this.deps;
    const accessToken = session.hub === undefined ? undefined : openHubToken(secret, session.sid, session.hub);
    if (!rechecker || !accessToken) return signIn('this hub session can no longer be checked with the hub; sign in again');
    return (await rechecker.verdict(session, accessToken)) === 'end' ? signIn('your role on the hub has changed; sign in again') : verified;
  }

  /** Ends a session on every replica. Throws a KubeError when the apiserver does not take it. */
  revoke(session: Session): Promise<{ rotated: boolean }> {
    return this.deps.revocations.revoke(session);
  }
}
