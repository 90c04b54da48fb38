import { describe, expect, it } from 'vitest';
import { labelValue, normalizeRoutePath, quoteRoutePath, routePathFromRequest, splitHostRoute, virtualServiceName } from './routespec';

describe('routePathFromRequest', () => {
  it.each([
    ['/api/routes', '/'],
    ['/api/routes/', '/'],
    ['/api/routes/user/alice', '/user/alice'],
    ['/api/routes/user/alice/', '/user/alice'],
    ['/api/routes/user/foo%40bar', '/user/foo@bar'],
    ['/api/routes/user/%E7%A7%80%E6%A8%B9', '/user/秀樹'],
    ['/api/routes/user/~TestJH', '/user/~TestJH'],
    ['/api/routes/user/has@', '/user/has@'],
    ['/api/routes/user/with%20space', '/user/with space'],
    ['/api/routes/user/a%2Fb', '/user/a/b'],
    ['/api/routes/alice.hub.example.com/user/alice', '/alice.hub.example.com/user/alice'],
  ])('%s names %s', (pathname, path) => {
    expect(routePathFromRequest(pathname)).toBe(path);
  });

  it('decodes once only', () => {
    expect(routePathFromRequest('/api/routes/user/a%2540b')).toBe('/user/a%40b');
  });

  it('refuses other API paths and broken escapes', () => {
    expect(() => routePathFromRequest('/api/routesx')).toThrow(expect.objectContaining({ status: 404, code: 'not-found' }));
    expect(() => routePathFromRequest('/api/other')).toThrow(expect.objectContaining({ status: 404, code: 'not-found' }));
    expect(() => routePathFromRequest('/api/routes/user/%E7%A7')).toThrow(expect.objectContaining({ status: 400, code: 'invalid-input' }));
  });
});

describe('normalizeRoutePath', () => {
  it('adds a leading slash and strips one trailing slash, except for /', () => {
    expect(normalizeRoutePath('user/x/')).toBe('/user/x');
    expect(normalizeRoutePath('/')).toBe('/');
    expect(normalizeRoutePath('')).toBe('/');
    expect(normalizeRoutePath('/user/x//')).toBe('/user/x/');
  });
});

describe('splitHostRoute', () => {
  it('takes the first segment as the host only with host routing', () => {
    expect(splitHostRoute('/alice.hub.example.com/user/alice', true)).toEqual({ host: 'alice.hub.example.com', path: '/user/alice' });
    expect(splitHostRoute('/hub.example.com', true)).toEqual({ host: 'hub.example.com', path: '/' });
    expect(splitHostRoute('/', true)).toEqual({ host: undefined, path: '/' });
    expect(splitHostRoute('/user/alice', false)).toEqual({ host: undefined, path: '/user/alice' });
  });
});

describe('virtualServiceName', () => {
  const dns1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

  it('is readable, stable and unique per route', () => {
    const name = virtualServiceName('hubmesh', '/user/alice');
    expect(name).toMatch(/^hubmesh-user-alice-[0-9a-f]{10}$/);
    expect(virtualServiceName('hubmesh', '/user/alice')).toBe(name);
    expect(virtualServiceName('hubmesh', '/user/Alice')).not.toBe(name);
    expect(virtualServiceName('hubmesh', '/user/al')).not.toBe(name);
    expect(virtualServiceName('other', '/user/alice')).toMatch(/^other-user-alice-/);
    expect(virtualServiceName('hubmesh', '/')).toMatch(/^hubmesh-root-[0-9a-f]{10}$/);
  });

  it.each(['/user/秀樹', '/user/has@', '/user/~TestJH', `/user/${'x'.repeat(300)}`, '/a.b.example.com/user/z', '/user/---'])(
    'is a DNS-1123 label of at most 63 characters for %s',
    (path) => {
      const name = virtualServiceName('hubmesh', path);
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(dns1123);
    },
  );
});

describe('labelValue', () => {
  it('keeps valid label values and turns others into a slug with a hash', () => {
    expect(labelValue('zoe')).toBe('zoe');
    expect(labelValue('')).toBe('');
    expect(labelValue('50fia')).toBe('50fia');
    expect(labelValue('has@')).toMatch(/^has-[0-9a-f]{10}$/);
    expect(labelValue('秀樹')).toMatch(/^[0-9a-f]{10}$/);
    expect(labelValue('~TestJH')).toMatch(/^testjh-[0-9a-f]{10}$/);
    expect(labelValue('x'.repeat(80)).length).toBeLessThanOrEqual(63);
    expect(labelValue('has@')).not.toBe(labelValue('has#'));
  });
});

describe('quoteRoutePath', () => {
  it.each([
    ['/user/alice', '/user/alice'],
    ['/user/秀樹', '/user/%E7%A7%80%E6%A8%B9'],
    ['/user/has@', '/user/has@'],
    ['/user/~TestJH', '/user/~TestJH'],
    ['/user/with space', '/user/with%20space'],
    ["/user/o'neil(1)*!", '/user/o%27neil%281%29%2A%21'],
    ['/user/a+b=c', '/user/a%2Bb%3Dc'],
  ])('quotes %s as JupyterHub does: %s', (path, quoted) => {
    expect(quoteRoutePath(path)).toBe(quoted);
  });
});
