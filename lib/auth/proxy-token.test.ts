import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config';
import { proxyTokenMatches, resolveProxyToken } from './proxy-token';

const token = 'a-secret-token-of-32-characters!';

describe('resolveProxyToken', () => {
  it('uses CONFIGPROXY_AUTH_TOKEN in any mode', () => {
    expect(resolveProxyToken(parseConfig({ CONFIGPROXY_AUTH_TOKEN: token }), 'cluster', undefined)).toEqual({ token, source: 'env' });
  });

  it('refuses cluster mode without a token', () => {
    expect(() => resolveProxyToken(parseConfig({}), 'cluster', undefined)).toThrow(/CONFIGPROXY_AUTH_TOKEN must be set/);
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
