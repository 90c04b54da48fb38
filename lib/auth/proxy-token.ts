import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type Config } from '../config';

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
  const file = path.join(dataDir, 'proxy-auth-token');
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), source: 'generated' };
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(32).toString('hex');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, source: 'generated' };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Checks an Authorization header ("token <TOKEN>", as the hub sends it) in constant time. */
export function proxyTokenMatches(expected: ProxyToken, authorization: string | null): boolean {
  if (expected.source === 'disabled') return true;
  const match = authorization?.match(/^token\s+(.+)$/i);
  if (!match) return false;
  return timingSafeEqual(digest(match[1]!.trim()), digest(expected.token));
}
