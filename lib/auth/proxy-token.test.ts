import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config';
import { proxyTokenMatches, proxyTokenStrength, resolveProxyToken, SHORT_PROXY_TOKEN_WARNING, warnIfProxyTokenShort, type ProxyToken } from './proxy-token';

const token = 'a-secret-token-of-32-characters!';

describe('resolveProxyToken', () => {
  it('uses CONFIGPROXY_AUTH_TOKEN in any mode', () => {
    expect(resolveProxyToken(parseConfig({ CONFIGPROXY_AUTH_TOKEN: token }), 'cluster', undefined)).toEqual({ token, source: 'env' });
  });

  it('takes a short token, as configurable-http-proxy does', () => {
    expect(resolveProxyToken(parseConfig({ CONFIGPROXY_AUTH_TOKEN: 'abc' }), 'cluster', undefined)).toEqual({ token: 'abc', source: 'env' });
  });

  it('refuses cluster mode without a token, and an empty one is none', () => {
    expect(() => resolveProxyToken(parseConfig({}), 'cluster', undefined)).toThrow(/CONFIGPROXY_AUTH_TOKEN must be set/);
    expect(() => resolveProxyToken(parseConfig({ CONFIGPROXY_AUTH_TOKEN: '' }), 'cluster', undefined)).toThrow(/CONFIGPROXY_AUTH_TOKEN must be set/);
  });

  it('generates one token for local mode and keeps it private in the data dir', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hubmesh-token-'));
    const first = resolveProxyToken(parseConfig({}), 'local', dir);
    expect(first.source).toBe('generated');
    expect(first.token).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(path.join(dir, 'proxy-auth-token'), 'utf8').trim()).toBe(first.token);
    expect(statSync(path.join(dir, 'proxy-auth-token')).mode & 0o777).toBe(0o600);
    expect(resolveProxyToken(parseConfig({}), 'local', dir)).toEqual(first);
  });

  it('names the way out when the data dir cannot hold the token (a read-only image root), instead of crashing', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hubmesh-token-'));
    writeFileSync(path.join(dir, 'a-file'), '');
    const unusable = path.join(dir, 'a-file', 'data');
    const attempt = () => resolveProxyToken(parseConfig({}), 'local', unusable);
    expect(attempt).toThrow(expect.objectContaining({ name: 'ConfigError' }));
    expect(attempt).toThrow(`local mode keeps its generated proxy-auth-token in ${unusable}, which it cannot use (ENOTDIR); set HUBMESH_DATA_DIR`);
  });

  it('allows the no-auth dev flag only in local mode', () => {
    expect(resolveProxyToken(parseConfig({ HUBMESH_DEV_NO_AUTH: 'true' }), 'local', '/tmp')).toEqual({ token: undefined, source: 'disabled' });
    expect(() => resolveProxyToken(parseConfig({ HUBMESH_DEV_NO_AUTH: 'true' }), 'cluster', undefined)).toThrow(/only allowed in local mode/);
  });
});

describe('proxyTokenMatches', () => {
  const expected = { token, source: 'env' as const };
  it.each([
    [`token ${token}`, true],
    [`Token ${token}`, true],
    [`token  ${token} `, true],
    [`token ${token}x`, false],
    [`Bearer ${token}`, false],
    [token, false],
    ['token ', false],
    [null, false],
  ])('%j → %s', (header, ok) => {
    expect(proxyTokenMatches(expected, header)).toBe(ok);
  });

  it('lets everything through when auth is disabled', () => {
    expect(proxyTokenMatches({ token: undefined, source: 'disabled' }, null)).toBe(true);
  });
});

describe('proxyTokenStrength', () => {
  const env = (t: string): ProxyToken => ({ token: t, source: 'env' });

  it('says a token under 16 characters is short, and how short, never what it is', () => {
    const strength = proxyTokenStrength(env('abc'));
    expect(strength).toEqual({ short: true, length: 3, minimum: 16 });
    expect(JSON.stringify(strength)).not.toContain('abc');
    expect(proxyTokenStrength(env('x'.repeat(15)))).toEqual({ short: true, length: 15, minimum: 16 });
  });

  it('is content with 16 characters or more, and with no token at all', () => {
    expect(proxyTokenStrength(env('x'.repeat(16)))).toEqual({ short: false });
    expect(proxyTokenStrength(env(token))).toEqual({ short: false });
    expect(proxyTokenStrength({ token: undefined, source: 'disabled' })).toEqual({ short: false });
  });
});

describe('warnIfProxyTokenShort', () => {
  const warnings = (t: ProxyToken) => {
    const lines: unknown[][] = [];
    warnIfProxyTokenShort(t, { warn: (...args: unknown[]) => lines.push(args) });
    return lines;
  };

  it('logs one warning with the length and how to make a strong token', () => {
    const lines = warnings({ token: 'abc', source: 'env' });
    expect(lines).toEqual([[{ length: 3, minimum: 16 }, SHORT_PROXY_TOKEN_WARNING]]);
    expect(SHORT_PROXY_TOKEN_WARNING).toMatch(/shorter than 16 characters.*openssl rand -hex 32/);
    expect(JSON.stringify(lines)).not.toContain('abc');
  });

  it('says nothing about a token of 16 characters or more', () => {
    expect(warnings({ token: 'x'.repeat(16), source: 'env' })).toEqual([]);
    expect(warnings({ token: undefined, source: 'disabled' })).toEqual([]);
  });
});
