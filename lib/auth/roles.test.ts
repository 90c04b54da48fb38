import { describe, expect, it } from 'vitest';
import { engineerFromBearer, may, parseEngineerTokens, roleOf, type Role } from './roles';

describe('roleOf', () => {
  const groups = { adminGroups: ['mesh-admins'], readOnlyGroups: ['hubmesh-viewers'] };

  it('makes hub admins and admin-group members admins, whatever else they belong to', () => {
    expect(roleOf({ admin: true, groups: [] }, groups)).toBe('admin');
    expect(roleOf({ admin: false, groups: ['mesh-admins'] }, groups)).toBe('admin');
    expect(roleOf({ admin: false, groups: ['hubmesh-viewers', 'mesh-admins'] }, groups)).toBe('admin');
  });

  it('makes read-only-group members viewers', () => {
    expect(roleOf({ admin: false, groups: ['students', 'hubmesh-viewers'] }, groups)).toBe('viewer');
  });

  it('gives everyone else no role', () => {
    expect(roleOf({ admin: false, groups: [] }, groups)).toBeUndefined();
    expect(roleOf({ admin: false, groups: ['students', 'Mesh-Admins', 'hubmesh-viewers-old'] }, groups)).toBeUndefined();
    expect(roleOf({ admin: false, groups: ['mesh-admins'] }, { adminGroups: [], readOnlyGroups: [] })).toBeUndefined();
  });
});

describe('may', () => {
  const requests: Array<[string, string]> = [
    ['GET', '/'],
    ['GET', '/api/v1/routes'],
    ['HEAD', '/api/v1/overview'],
    ['POST', '/api/v1/previews'],
    ['PATCH', '/api/v1/previews/pr-42'],
    ['DELETE', '/api/v1/previews/pr-42'],
    ['PUT', '/api/v1/routes/alice/overlays'],
    ['POST', '/api/v1/mesh/actions/enable-injection'],
    ['DELETE', '/api/v1/session'],
  ];
  const expected: Record<Role, boolean[]> = {
    admin: [true, true, true, true, true, true, true, true, true],
    viewer: [true, true, true, false, false, false, false, false, true],
    engineer: [true, true, true, true, true, true, false, false, true],
  };

  for (const role of ['admin', 'viewer', 'engineer'] as const) {
    it(`gives ${role} its matrix row`, () => {
      expect(requests.map(([method, path]) => may(role, method, path))).toEqual(expected[role]);
    });
  }

  it('treats methods case-insensitively', () => {
    expect(may('viewer', 'get', '/api/v1/routes')).toBe(true);
    expect(may('viewer', 'post', '/api/v1/previews')).toBe(false);
    expect(may('engineer', 'delete', '/api/v1/previews/x')).toBe(true);
  });

  it('keeps engineers inside /api/v1/previews: no look-alike prefixes, dot segments or encoded separators', () => {
    for (const path of [
      '/api/v1/previewsx',
      '/api/v1/previews-old/x',
      '/api/v1/previews/../routes/alice/overlays',
      '/api/v1/previews/./x/../../routes',
      '/api/v1/previews/%2e%2e/routes',
      '/api/v1/previews/..%2Froutes',
      '/api/v1/previews\\..\\routes',
      '/api/v2/previews',
      'api/v1/previews',
      '/API/v1/previews',
    ]) {
      expect(may('engineer', 'POST', path), path).toBe(false);
    }
    expect(may('engineer', 'PUT', '/api/v1/previews/x')).toBe(false);
  });
});

describe('engineer tokens', () => {
  const value = 'ci:0123456789abcdef0123, release-bot:fedcba9876543210fedc';

  it('parses name:token pairs', () => {
    expect(parseEngineerTokens(value)).toEqual([
      { name: 'ci', token: '0123456789abcdef0123' },
      { name: 'release-bot', token: 'fedcba9876543210fedc' },
    ]);
    expect(parseEngineerTokens(undefined)).toEqual([]);
    expect(parseEngineerTokens('  ')).toEqual([]);
  });

  it('keeps colons inside a token', () => {
    expect(parseEngineerTokens('ci:abc:def:0123456789xyz')).toEqual([{ name: 'ci', token: 'abc:def:0123456789xyz' }]);
  });

  it('refuses malformed entries without echoing tokens', () => {
    expect(() => parseEngineerTokens('0123456789abcdef0123')).toThrow(/entry 1 must be name:token/);
    expect(() => parseEngineerTokens('CI:0123456789abcdef0123')).toThrow(/entry 1/);
    expect(() => parseEngineerTokens('ci:short-secret')).toThrow('the token of "ci" must be at least 16 characters');
    expect(() => parseEngineerTokens('ci:short-secret')).not.toThrow(/short-secret/);
    expect(() => parseEngineerTokens('ci:0123456789abcdef0123,ci:fedcba9876543210fedc')).toThrow('engineer names must be distinct');
    expect(() => parseEngineerTokens('a:0123456789abcdef0123,b:0123456789abcdef0123')).toThrow('engineer tokens must be distinct');
  });

  it('maps a matching bearer token to its engineer, and nothing else', () => {
    const tokens = parseEngineerTokens(value);
    expect(engineerFromBearer(tokens, 'Bearer fedcba9876543210fedc')).toEqual({ role: 'engineer', actor: 'engineer:release-bot' });
    expect(engineerFromBearer(tokens, 'bearer 0123456789abcdef0123')).toEqual({ role: 'engineer', actor: 'engineer:ci' });
    expect(engineerFromBearer(tokens, 'Bearer 0123456789abcdef012')).toBeUndefined();
    expect(engineerFromBearer(tokens, 'token 0123456789abcdef0123')).toBeUndefined();
    expect(engineerFromBearer(tokens, '0123456789abcdef0123')).toBeUndefined();
    expect(engineerFromBearer(tokens, null)).toBeUndefined();
    expect(engineerFromBearer([], 'Bearer 0123456789abcdef0123')).toBeUndefined();
  });
});
