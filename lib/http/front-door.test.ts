import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { ProxyToken } from '../auth/proxy-token';
import { ALLOWED_METHODS, frontDoorVerdict, type FrontDoorDeps } from './front-door';

const token = 'front-door-test-token-0123456789';
const deps: FrontDoorDeps = { proxyToken: { token, source: 'env' }, maxBodyBytes: 65_536 };
const hub = { authorization: `token ${token}` };
const verdict = (method: string, rawTarget: string, headers: IncomingHttpHeaders = {}, d: FrontDoorDeps = deps) => frontDoorVerdict({ method, rawTarget, headers }, d);

describe('frontDoorVerdict', () => {
  it.each([
    ['GET', '/healthz', {}],
    ['GET', '/', {}],
    ['HEAD', '/readyz', {}],
    ['OPTIONS', '/api/v1/routes', {}],
    ['GET', '/routes?q=alice&sort=age&order=desc', {}],
    // JupyterHub's quoting of a unicode user (秀樹), and the characters it leaves raw
    ['POST', '/api/routes/user/%E7%A7%80%E6%A8%B9/', { ...hub, 'content-length': '40' }],
    ['GET', '/api/routes/user/%E7%A7%80%E6%A8%B9', hub],
    ['DELETE', '/api/routes/user/a@b.c+d~e!f/lab%20%231', hub],
    ['GET', '/api/routes?inactive_since=2026-01-01T00:00:00Z', hub],
    ['PUT', '/api/v1/routes/hubmesh-alice-0123456789/overlays', { 'content-length': '65536' }],
    ['PATCH', '/api/v1/previews/demo', { 'transfer-encoding': 'chunked' }],
    ['GET', '/preview/demo', {}],
    // only the path must be well-encoded; the query is the handler's to read
    ['GET', '/api/v1/routes?q=%ZZ', {}],
  ])('lets %s %s through', (method, target, headers) => {
    expect(verdict(method, target, headers)).toMatchObject({ pass: true });
  });

  it.each([
    ['/api/routes', 'proxy-api'],
    ['/api/routes/', 'proxy-api'],
    ['/api/routes/user/%E7%A7%80%E6%A8%B9?x=1', 'proxy-api'],
    ['/api/v1/../routes/user/x', 'proxy-api'],
    ['/api/%72outes/user/x', 'proxy-api'],
    // Next redirects repeated slashes (308) before any route sees them
    ['/api/routes//user/x', 'app'],
    ['//api//routes/x', 'app'],
    ['/api/routesx', 'app'],
    ['/api/v1/routes', 'app'],
    ['/healthz', 'app'],
  ])('has %s served by %s', (target, serve) => {
    expect(verdict('GET', target, hub)).toEqual({ pass: true, serve });
  });

  it.each(['TRACE', 'CONNECT', 'PROPFIND', 'M-SEARCH'])('refuses %s with 405 and the allowed methods', (method) => {
    expect(verdict(method, '/healthz')).toEqual({
      pass: false,
      status: 405,
      error: `method ${method} is not allowed; hubmesh takes GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS`,
      close: false,
      headers: { allow: ALLOWED_METHODS.join(', ') },
    });
  });

  it.each([
    ['*', 'request target "*" is not served'],
    ['http://evil.example/x', 'must be a path starting with "/"'],
    ['evil.example:443', 'must be a path starting with "/"'],
  ])('refuses the request target %s with 400', (target, error) => {
    const v = verdict('OPTIONS', target);
    expect(v).toMatchObject({ pass: false, status: 400, close: false });
    expect(!v.pass && v.error).toContain(error);
  });

  it.each([
    ['/api/routes/%ZZ', '"%ZZ"'],
    ['/preview/%ZZ', '"%ZZ"'],
    ['/api/v1/routes/%ZZ', '"%ZZ"'],
    ['/user/alice%', '"%"'],
    ['/user/alice%4', '"%4"'],
    ['/user/%E7%A7%80%E6%A8%9', '"%9"'],
  ])('refuses %s, a "%%" without two hex digits, naming it', (target, named) => {
    const v = verdict('GET', target, hub);
    expect(v).toMatchObject({ pass: false, status: 400 });
    expect(!v.pass && v.error).toBe(`path has a "%" not followed by two hex digits: ${named}`);
  });

  it.each([
    ['/user/%C3%28', '%C3%28'], // a lead byte followed by ASCII
    ['/user/%E7%A7/x', '%E7%A7'], // a truncated sequence
    ['/user/%C0%AF', '%C0%AF'], // overlong "/"
    ['/user/%ED%A0%80', '%ED%A0%80'], // a UTF-16 surrogate
    ['/user/ok%20then%FF', '%FF'],
  ])('refuses %s, escapes that are not UTF-8, naming them', (target, named) => {
    const v = verdict('GET', target);
    expect(v).toMatchObject({ pass: false, status: 400 });
    expect(!v.pass && v.error).toBe(`path has percent-encoded bytes that are not UTF-8: ${named}`);
  });

  it.each([
    ['/user/a\\b', 'backslash'],
    ['/\\evil.example', 'backslash'],
    ['/user/a b', 'space, control or non-ASCII'],
    ['/user/a\u0001b', 'space, control or non-ASCII'],
    ['/user/秀樹', 'space, control or non-ASCII'],
  ])('refuses %j (%s) with 400', (target, error) => {
    const v = verdict('GET', target);
    expect(v).toMatchObject({ pass: false, status: 400 });
    expect(!v.pass && v.error).toContain(error);
  });

  describe('the hub proxy API token, checked before the body is read', () => {
    const refused = { pass: false, status: 403, error: 'missing or wrong Authorization: token <CONFIGPROXY_AUTH_TOKEN>' };

    it.each([
      ['no Authorization', {}],
      ['a wrong token', { authorization: 'token not-the-token' }],
      ['the token as a bearer token', { authorization: `Bearer ${token}` }],
    ])('refuses %s with 403', (_, headers) => {
      expect(verdict('GET', '/api/routes', headers)).toEqual({ ...refused, close: false });
    });

    it('closes the connection instead of reading an announced body', () => {
      expect(verdict('POST', '/api/routes/user/alice', { 'content-length': '9000000' })).toEqual({ ...refused, close: true });
      expect(verdict('POST', '/api/routes/user/alice', { 'transfer-encoding': 'chunked' })).toEqual({ ...refused, close: true });
      expect(verdict('POST', '/api/routes/user/alice', { 'content-length': '0' })).toEqual({ ...refused, close: false });
    });

    it.each(['/api/routes/', '/api/routes/user/alice', '/api/v1/../routes/user/x', '/api/v1/%2e%2e/routes', '/api/%72outes/user/x', '//api//routes/x', '/api/routes?x=1'])(
      'guards %s, which may reach the proxy API',
      (target) => {
        expect(verdict('GET', target)).toMatchObject({ pass: false, status: 403 });
      },
    );

    it.each(['/api/routesx', '/api/v1/routes', '/api/v1/routes/hubmesh-alice-0123456789', '/routes'])('leaves %s to its own gate', (target) => {
      expect(verdict('GET', target)).toEqual({ pass: true, serve: 'app' });
    });

    it('lets everything through when HUBMESH_DEV_NO_AUTH opened the API', () => {
      const open: ProxyToken = { token: undefined, source: 'disabled' };
      expect(verdict('POST', '/api/routes/user/alice', { 'content-length': '40' }, { ...deps, proxyToken: open })).toEqual({ pass: true, serve: 'proxy-api' });
    });
  });

  describe('the body cap', () => {
    it('refuses a declared length over the cap with 413, closing the connection', () => {
      expect(verdict('POST', '/api/routes/user/alice', { ...hub, 'content-length': '65537' })).toEqual({
        pass: false,
        status: 413,
        error: 'body is larger than 65536 bytes',
        close: true,
      });
      expect(verdict('PUT', '/api/v1/previews/x', { 'content-length': '1000000000' })).toMatchObject({ status: 413, close: true });
    });

    it('lets a body of exactly the cap through, and a chunked body (counted as it streams)', () => {
      expect(verdict('POST', '/api/routes/user/alice', { ...hub, 'content-length': '65536' })).toMatchObject({ pass: true });
      expect(verdict('POST', '/api/routes/user/alice', { ...hub, 'transfer-encoding': 'chunked' })).toMatchObject({ pass: true });
    });

    it('follows HUBMESH_MAX_BODY_BYTES', () => {
      expect(verdict('POST', '/api/v1/previews', { 'content-length': '2048' }, { ...deps, maxBodyBytes: 1024 })).toMatchObject({
        status: 413,
        error: 'body is larger than 1024 bytes',
      });
    });
  });

  it('closes the connection on any refusal of a request that announced a body', () => {
    expect(verdict('TRACE', '/x', { 'content-length': '5' })).toMatchObject({ status: 405, close: true });
    expect(verdict('POST', '/user/%ZZ', { 'transfer-encoding': 'chunked' })).toMatchObject({ status: 400, close: true });
  });
});
