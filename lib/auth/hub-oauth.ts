import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { safeNextPath } from './next-path';

/**
 * hubmesh as a JupyterHub OAuth client: a hub service with `oauth_client_id` and `oauth_redirect_uri`, whose
 * `api_token` is the client secret. The authorization-code flow runs against JupyterHub's own provider
 * (jupyterhub/apihandlers/auth.py); /hub/api/user then says who signed in.
 */
export type HubOAuthConfig = {
  /** the hub's URL as browsers reach it, with JupyterHub's base_url, e.g. https://hub.example.org/ */
  hubUrl: string;
  /** the hub's REST API as hubmesh reaches it (JUPYTERHUB_API_URL), e.g. http://hub:8081/hub/api */
  hubApiUrl: string;
  /** the service's oauth_client_id; JupyterHub requires the prefix "service-" */
  clientId: string;
  /** the service's api_token: JupyterHub registers it as the OAuth client secret */
  clientSecret: string;
  /** the service's oauth_redirect_uri, absolute, byte for byte the same */
  redirectUri: string;
  adminGroups: string[];
  readOnlyGroups: string[];
  /** bound on each call to the hub (default 5 s) */
  timeoutMs?: number;
};

export type HubOAuthErrorKind = 'bad-state' | 'bad-code' | 'bad-token' | 'client-rejected' | 'hub-unreachable' | 'hub-error';

const statusOfKind: Record<HubOAuthErrorKind, 400 | 403 | 502 | 503> = {
  'bad-state': 400,
  'bad-code': 403,
  'bad-token': 403,
  // hubmesh's own client id or secret is wrong: not the user's fault
  'client-rejected': 502,
  'hub-unreachable': 503,
  'hub-error': 502,
};

/** A sign-in that failed, with the HTTP status hubmesh should answer with. */
export class HubOAuthError extends Error {
  override name = 'HubOAuthError';
  readonly status: 400 | 403 | 502 | 503;
  constructor(
    readonly kind: HubOAuthErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = statusOfKind[kind];
  }
}

export const isHubOAuthError = (e: unknown): e is HubOAuthError => e instanceof HubOAuthError;

/** The httpOnly cookie that binds a `state` to the browser that started the sign-in. */
export const OAUTH_NONCE_COOKIE = 'hubmesh_oauth_nonce';
export const STATE_TTL_SECONDS = 600;

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');
const mac = (secret: string, payload: string) => createHmac('sha256', `hubmesh-oauth-state\0${secret}`).update(payload).digest();
const nonceDigest = (nonce: string) => createHash('sha256').update(nonce).digest('base64url');

type StatePayload = { n: string; next: string; exp: number };

/**
 * A fresh sign-in: `nonce` goes into the OAUTH_NONCE_COOKIE, `state` into the authorize URL. The state is
 * signed, expires after STATE_TTL_SECONDS, carries the (checked) path to return to, and names the nonce by
 * its digest only, so the cookie's value never appears in URLs or the hub's logs.
 */
export function createState(secret: string, next: string | null | undefined, now = Date.now()): { state: string; nonce: string } {
  const nonce = randomBytes(24).toString('base64url');
  const payload: StatePayload = { n: nonceDigest(nonce), next: safeNextPath(next), exp: Math.floor(now / 1000) + STATE_TTL_SECONDS };
  const encoded = b64(JSON.stringify(payload));
  return { state: `${encoded}.${b64(mac(secret, encoded))}`, nonce };
}

const statePayloadSchema = z.object({ n: z.string(), next: z.string(), exp: z.number() });

/** The path to return to, when `state` is ours, unexpired and was issued to the browser holding `nonce`; else a 400 HubOAuthError. */
export function verifyState(secret: string, state: string | null | undefined, nonce: string | undefined, now = Date.now()): { next: string } {
  const refuse = (why: string): never => {
    throw new HubOAuthError('bad-state', `sign-in refused: ${why}; start again`);
  };
  if (!state) return refuse('the hub sent no state');
  if (!nonce) return refuse('this browser did not start a sign-in (no nonce cookie)');
  const [encoded, signature, extra] = state.split('.');
  if (!encoded || !signature || extra !== undefined) return refuse('malformed state');
  const expected = mac(secret, encoded);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return refuse('state not signed by hubmesh');
  let payload: StatePayload;
  try {
    payload = statePayloadSchema.parse(JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')));
  } catch {
    return refuse('malformed state');
  }
  if (payload.exp * 1000 <= now) return refuse('the sign-in took too long');
  const a = Buffer.from(payload.n);
  const b = Buffer.from(nonceDigest(nonce));
  if (a.length !== b.length || !timingSafeEqual(a, b)) return refuse('state was issued to another browser');
  return { next: safeNextPath(payload.next) };
}

const join = (base: string, path: string) => `${base.replace(/\/+$/, '')}/${path}`;

/** Where to send the browser: JupyterHub's authorize endpoint; the hub asks for the login first when needed. */
export function authorizeUrl(config: HubOAuthConfig, state: string): string {
  const url = new URL(join(config.hubUrl, 'hub/api/oauth2/authorize'));
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('redirect_uri', config.redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('state', state);
  return url.toString();
}

async function callHub(config: HubOAuthConfig, path: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
  const url = join(config.hubApiUrl, path);
  const controller = new AbortController();
  const timeoutMs = config.timeoutMs ?? 5000;
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, { ...init, signal: controller.signal, redirect: 'manual' });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: response.status, body };
  } catch (error) {
    const why = controller.signal.aborted ? `no answer within ${timeoutMs} ms` : (error as Error).message;
    throw new HubOAuthError('hub-unreachable', `JupyterHub at ${config.hubApiUrl} is unreachable: ${why}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

const hubMessage = (body: unknown) => {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const message = b.error_description ?? b.message ?? b.error;
    if (typeof message === 'string') return message;
  }
  return typeof body === 'string' ? body.slice(0, 200) : 'no details';
};

const tokenResponseSchema = z.object({ access_token: z.string().min(1), token_type: z.string() });

/** Trades the authorization code for an access token (a JupyterHub OAuth token owned by the user who signed in). */
export async function exchangeCode(config: HubOAuthConfig, code: string | null | undefined): Promise<string> {
  if (!code) throw new HubOAuthError('bad-code', 'sign-in refused: the hub sent no authorization code');
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: config.redirectUri,
    client_id: config.clientId,
    client_secret: config.clientSecret,
  });
  const { status, body } = await callHub(config, 'oauth2/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form,
  });
  // oauthlib's invalid_client: JupyterHub answers 401
  if (status === 401) {
    throw new HubOAuthError('client-rejected', `JupyterHub did not accept hubmesh's client credentials: the client id and secret must be the service's oauth_client_id and api_token (${hubMessage(body)})`);
  }
  // invalid_grant (used, expired or foreign code) and mismatching redirect URI: 400
  if (status === 400 || status === 403) {
    throw new HubOAuthError('bad-code', `sign-in refused: JupyterHub did not accept the authorization code (${status}: ${hubMessage(body)})`);
  }
  if (status !== 200) throw new HubOAuthError(status >= 500 ? 'hub-unreachable' : 'hub-error', `JupyterHub's token endpoint answered ${status}: ${hubMessage(body)}`);
  const parsed = tokenResponseSchema.safeParse(body);
  if (!parsed.success) throw new HubOAuthError('hub-error', "JupyterHub's token endpoint answered without an access_token");
  return parsed.data.access_token;
}

export const hubUserSchema = z.object({
  name: z.string().min(1),
  admin: z.boolean(),
  // present when the token holds read:users:groups!user, which JupyterHub 3's default (identify) scopes include;
  // required, since a missing list would quietly turn every group member away
  groups: z.array(z.string(), { error: 'no groups: the token lacks read:users:groups!user' }),
});

export type HubUser = z.infer<typeof hubUserSchema>;

/** Who the access token belongs to: /hub/api/user, as JupyterHub's own HubOAuth asks. */
export async function fetchHubUser(config: HubOAuthConfig, accessToken: string): Promise<HubUser> {
  const { status, body } = await callHub(config, 'user', { headers: { authorization: `token ${accessToken}`, accept: 'application/json' } });
  if (status === 401 || status === 403) throw new HubOAuthError('bad-token', `JupyterHub refused the access token (${status})`);
  if (status !== 200) throw new HubOAuthError(status >= 500 ? 'hub-unreachable' : 'hub-error', `JupyterHub's /user answered ${status}: ${hubMessage(body)}`);
  const parsed = hubUserSchema.safeParse(body);
  if (!parsed.success) throw new HubOAuthError('hub-error', `JupyterHub's /user answered an unexpected model: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
