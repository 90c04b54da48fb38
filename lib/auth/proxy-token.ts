import type { Logger } from 'pino';
import type { Config } from '../config';
import { ConfigError } from '../config-error';
import { persistedSecret } from './persisted-secret';
import { secretsEqual } from './secrets';

export type ProxyToken = { token: string; source: 'env' | 'generated' } | { token: undefined; source: 'disabled' };

/**
 * The proxy API's token. CONFIGPROXY_AUTH_TOKEN wins. Without it, local mode makes one and keeps
 * it in the data dir (so `npm start` works and the API is still not open); cluster mode refuses to
 * start. HUBMESH_DEV_NO_AUTH opens the API, in local mode only.
 */
export function resolveProxyToken(config: Config, mode: 'cluster' | 'local', dataDir: string | undefined): ProxyToken {
  if (config.proxy.authToken) return { token: config.proxy.authToken, source: 'env' };
  if (config.proxy.devNoAuth) {
    if (mode !== 'local') throw new ConfigError('config: HUBMESH_DEV_NO_AUTH is only allowed in local mode; set CONFIGPROXY_AUTH_TOKEN');
    return { token: undefined, source: 'disabled' };
  }
  if (mode === 'cluster' || !dataDir) {
    throw new ConfigError("config: CONFIGPROXY_AUTH_TOKEN must be set (the same value as the hub's ConfigurableHTTPProxy.auth_token)");
  }
  return { token: persistedSecret(dataDir, 'proxy-auth-token'), source: 'generated' };
}

/** configurable-http-proxy takes a token of any length, and so does hubmesh; below this one it warns. */
export const PROXY_TOKEN_MIN_LENGTH = 16;

/** Whether the token is short, and how short: never the token itself, so the console may show it. */
export type ProxyTokenStrength = { short: false } | { short: true; length: number; minimum: number };

export function proxyTokenStrength(token: ProxyToken): ProxyTokenStrength {
  if (token.token === undefined || token.token.length >= PROXY_TOKEN_MIN_LENGTH) return { short: false };
  return { short: true, length: token.token.length, minimum: PROXY_TOKEN_MIN_LENGTH };
}

export const SHORT_PROXY_TOKEN_WARNING =
  `CONFIGPROXY_AUTH_TOKEN is shorter than ${PROXY_TOKEN_MIN_LENGTH} characters: it is accepted, but easy to guess; ` +
  "make a strong one with `openssl rand -hex 32` and set it as both CONFIGPROXY_AUTH_TOKEN and the hub's ConfigurableHTTPProxy.auth_token";

/** At start-up: one warning line when the token is short (its length, never the token). */
export function warnIfProxyTokenShort(token: ProxyToken, log: Pick<Logger, 'warn'>): void {
  const strength = proxyTokenStrength(token);
  if (strength.short) log.warn({ length: strength.length, minimum: strength.minimum }, SHORT_PROXY_TOKEN_WARNING);
}

export const PROXY_TOKEN_REFUSED = 'missing or wrong Authorization: token <CONFIGPROXY_AUTH_TOKEN>';

/** Checks an Authorization header ("token <TOKEN>", as the hub sends it) in constant time. */
export function proxyTokenMatches(expected: ProxyToken, authorization: string | null): boolean {
  if (expected.source === 'disabled') return true;
  const match = authorization?.match(/^token\s+(.+)$/i);
  if (!match) return false;
  return secretsEqual(match[1]!.trim(), expected.token);
}
