import type { Logger } from 'pino';
import { fetchHubUser, isHubOAuthError, type HubOAuthConfig } from './hub-oauth';
import { roleOf, type Role } from './roles';

/** What the hub said when asked again who a session's user is. */
export type RecheckOutcome =
  | { kind: 'answered'; role: 'admin' | 'viewer' | undefined }
  /** the hub refused the session's access token: revoked, expired, or its user deleted */
  | { kind: 'refused' }
  /** the hub could not be asked (down, timed out, or answered nonsense) */
  | { kind: 'unavailable'; error: string };

/**
 * `end` when the hub says the session's role is no longer the user's (another role, none, or the token is
 * refused): they sign in again and get what they have now. A hub that cannot be asked does not end
 * sessions: admins must not be locked out of the console by a hub outage, which the console may be needed to fix.
 */
export function recheckVerdict(sessionRole: Role, outcome: RecheckOutcome): 'keep' | 'end' | 'unverified' {
  if (outcome.kind === 'unavailable') return 'unverified';
  if (outcome.kind === 'refused') return 'end';
  return outcome.role === sessionRole ? 'keep' : 'end';
}

/** Asks the hub's /user with the session's own access token, and maps the answer to a role as sign-in does. */
export function askHub(config: HubOAuthConfig): (accessToken: string) => Promise<RecheckOutcome> {
  return async (accessToken) => {
    try {
      return { kind: 'answered', role: roleOf(await fetchHubUser(config, accessToken), config) };
    } catch (error) {
      if (!isHubOAuthError(error)) throw error;
      return error.kind === 'bad-token' ? { kind: 'refused' } : { kind: 'unavailable', error: error.message };
    }
  };
}

type SessionRef = { sid: string; sub: string; role: Role; iat: number; exp: number };
type Entry = { checkedAt: number; exp: number; ended: boolean; inflight?: Promise<'keep' | 'end'> };

/**
 * Re-checks hub sessions' roles against the hub at most once per interval per session, in process memory:
 * a burst of requests shares one hub call. Sign-in has just checked, so a session is first due one interval
 * after it was issued. An ended session stays ended here whatever happens to the shared revocation
 * (onEnded records it for the other replicas).
 */
export class HubRoleRechecker {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly deps: {
      intervalMs: number;
      ask: (accessToken: string) => Promise<RecheckOutcome>;
      onEnded: (session: SessionRef) => Promise<void>;
      log: Logger;
      now?: () => number;
    },
  ) {}

  async verdict(session: SessionRef, accessToken: string): Promise<'keep' | 'end'> {
    const now = this.deps.now?.() ?? Date.now();
    let entry = this.entries.get(session.sid);
    if (!entry) {
      this.prune(now);
      entry = { checkedAt: session.iat, exp: session.exp, ended: false };
      this.entries.set(session.sid, entry);
    }
    if (entry.ended) return 'end';
    if (entry.inflight) return entry.inflight;
    if (now - entry.checkedAt < this.deps.intervalMs) return 'keep';
    const pending = this.recheck(entry, session, accessToken, now);
    entry.inflight = pending;
    try {
      return await pending;
    } finally {
      entry.inflight = undefined;
    }
  }

  private async recheck(entry: Entry, session: SessionRef, accessToken: string, now: number): Promise<'keep' | 'end'> {
    const { log } = this.deps;
    let outcome: RecheckOutcome;
    try {
      outcome = await this.deps.ask(accessToken);
    } catch (error) {
      outcome = { kind: 'unavailable', error: (error as Error).message };
    }
    const verdict = recheckVerdict(session.role, outcome);
    entry.checkedAt = now;
    if (verdict === 'unverified') {
      log.warn({ event: 'hub-recheck-failed', sub: session.sub, err: outcome.kind === 'unavailable' ? outcome.error : undefined }, 'could not re-check a hub session with the hub; it stays valid until the next check');
      return 'keep';
    }
    if (verdict === 'keep') return 'keep';
    entry.ended = true;
    const hubSays = outcome.kind === 'answered' ? (outcome.role ?? 'no role') : 'token refused';
    log.info({ event: 'session-ended', sub: session.sub, role: session.role, hubSays }, "the hub no longer gives this user the session's role: session ended");
    try {
      await this.deps.onEnded(session);
    } catch (error) {
      log.error({ sub: session.sub, err: (error as Error).message }, 'could not record the ended session for the other replicas; each ends it at its own re-check');
    }
    return 'end';
  }

  private prune(now: number): void {
    for (const [sid, entry] of this.entries) if (entry.exp * 1000 <= now) this.entries.delete(sid);
  }
}
