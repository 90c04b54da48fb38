import type { Logger } from 'pino';
import type { DashboardAuth } from './dashboard-auth';
import { authorizeUrl, createState, exchangeCode, fetchHubUser, isHubOAuthError, OAUTH_NONCE_COOKIE, STATE_TTL_SECONDS, verifyState, type HubOAuthConfig } from './hub-oauth';
import { sealHubToken } from './hub-token-seal';
import { roleOf } from './roles';
import { newSession, sessionCookies } from './session';

export type HubSignInDeps = {
  /** unset: JupyterHub sign-in is off */
  hubOAuth: HubOAuthConfig | undefined;
  auth: Pick<DashboardAuth, 'sessionSecret' | 'ttlSeconds'>;
  log: Logger;
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(status: number, title: string, body: string, headers: Record<string, string> = {}): Response {
  return new Response(`<!doctype html><meta charset="utf-8"><title>${escapeHtml(title)}</title><main style="font-family:system-ui;max-width:40rem;margin:4rem auto"><h1>${escapeHtml(title)}</h1>${body}</main>`, {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', ...headers },
  });
}

const nonceCookie = (value: string, maxAge: number, secure: boolean) =>
  // Lax: the callback arrives as a top-level navigation from the hub, where Strict would drop it
  `${OAUTH_NONCE_COOKIE}=${value}; Path=/login/hub; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;

/** Starts JupyterHub sign-in: a state bound to a nonce cookie, then off to the hub's authorize endpoint. */
export function startHubSignIn(deps: HubSignInDeps, next: string | null, secure: boolean): Response {
  const config = deps.hubOAuth;
  if (!config) return page(404, 'JupyterHub sign-in is not configured', '<p>Sign in with the admin token instead.</p>');
  const { state, nonce } = createState(deps.auth.sessionSecret, next);
  return new Response(null, { status: 302, headers: { location: authorizeUrl(config, state), 'set-cookie': nonceCookie(nonce, STATE_TTL_SECONDS, secure), 'cache-control': 'no-store' } });
}

/**
 * The hub sends the browser back here with a code: check the state, exchange the code, ask the hub who
 * this is, and give hub admins (or members of the admin groups) an admin session, the read-only groups a
 * viewer session, and everyone else a 403 page that says why.
 */
export async function finishHubSignIn(deps: HubSignInDeps, params: URLSearchParams, nonce: string | undefined, secure: boolean): Promise<Response> {
  const config = deps.hubOAuth;
  if (!config) return page(404, 'JupyterHub sign-in is not configured', '<p>Sign in with the admin token instead.</p>');
  const clearNonce = nonceCookie('', 0, secure);
  if (params.get('error')) return page(403, 'Sign-in was not completed', `<p>The hub answered: ${escapeHtml(params.get('error')!)}.</p>`, { 'set-cookie': clearNonce });
  try {
    const { next } = verifyState(deps.auth.sessionSecret, params.get('state'), nonce);
    const accessToken = await exchangeCode(config, params.get('code'));
    const user = await fetchHubUser(config, accessToken);
    const role = roleOf(user, config);
    if (!role) {
      deps.log.warn({ event: 'sign-in refused', hubUser: user.name }, 'hub user has no hubmesh role');
      const groups = [...config.adminGroups, ...config.readOnlyGroups];
      const how = groups.length ? `Hub admins and members of ${groups.map((g) => `<code>${escapeHtml(g)}</code>`).join(', ')} may sign in.` : 'Only hub admins may sign in.';
      return page(403, 'Not allowed', `<p>The hub says you are <b>${escapeHtml(user.name)}</b>, who has no access to hubmesh. ${how}</p>`, { 'set-cookie': clearNonce });
    }
    const signed = newSession(`hub:${user.name}`, role, deps.auth.ttlSeconds);
    // the hub's token goes along, sealed, so that any replica can ask the hub again who this is (hub-recheck.ts)
    const session = { ...signed, hub: sealHubToken(deps.auth.sessionSecret, signed.sid, accessToken) };
    deps.log.info({ event: 'sign-in', sub: session.sub, role }, 'signed in through JupyterHub');
    const headers = new Headers({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    for (const c of [...sessionCookies(deps.auth.sessionSecret, session, deps.auth.ttlSeconds, secure), clearNonce]) headers.append('set-cookie', c);
    // a page, not a 302: after a redirect chain that began on the hub, browsers would hold back the new
    // SameSite=Strict cookie on the next request; a same-site navigation from this page carries it
    const target = escapeHtml(next);
    return new Response(`<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${target}"><title>Signed in</title><p>Signed in. <a href="${target}">Continue</a></p>`, { status: 200, headers });
  } catch (error) {
    if (!isHubOAuthError(error)) throw error;
    deps.log.warn({ event: 'sign-in failed', kind: error.kind, err: error.message }, 'JupyterHub sign-in failed');
    return page(error.status, 'Sign-in failed', `<p>${escapeHtml(error.message)}</p><p><a href="/login">Try again</a></p>`, { 'set-cookie': clearNonce });
  }
}
