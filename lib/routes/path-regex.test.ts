import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { pathRegexExcludingSegments, pathRegexOutside } from './path-regex';

/** Envoy matches a path regex in full, with RE2. */
const fullMatch = (regex: string, path: string) => RE2JS.compile(`^(?:${regex})$`).matcher(path).matches();

describe('pathRegexExcludingSegments', () => {
  it('keeps a catch-all route off the first segments that hold other routes', () => {
    const regex = pathRegexExcludingSegments('/', ['user', 'services']);
    for (const path of ['/', '/hub', '/hub/', '/hub/home', '/users', '/user2/x', '/use', '/servicesx', '/x/user/alice']) expect(fullMatch(regex, path), path).toBe(true);
    for (const path of ['/user', '/user/', '/user/alice', '/user/alice/lab', '/services/x', '/services']) expect(fullMatch(regex, path), path).toBe(false);
  });

  it('does the same below a path, segment by segment', () => {
    const regex = pathRegexExcludingSegments('/user/alice', ['lab2', 'lab']);
    for (const path of ['/user/alice', '/user/alice/', '/user/alice/api/kernels', '/user/alice/lab3', '/user/alice/la', '/user/alice/lab2x/y']) expect(fullMatch(regex, path), path).toBe(true);
    for (const path of ['/user/alice/lab', '/user/alice/lab/tree', '/user/alice/lab2', '/user/alice/lab2/x', '/user/alicex', '/user/bob', '/']) expect(fullMatch(regex, path), path).toBe(false);
  });

  it('escapes what RE2 would read as syntax', () => {
    const regex = pathRegexExcludingSegments('/a.b', ['c.d', 'x-y']);
    expect(fullMatch(regex, '/a.b/cxd')).toBe(true);
    expect(fullMatch(regex, '/a.b/c.d')).toBe(false);
    expect(fullMatch(regex, '/aXb')).toBe(false);
    expect(fullMatch(regex, '/a.b/x-y/z')).toBe(false);
    expect(fullMatch(regex, '/a.b/xay')).toBe(true);
  });

  it('works on quoted (percent-encoded) segments', () => {
    const regex = pathRegexExcludingSegments('/', ['%E7%A7%80']);
    expect(fullMatch(regex, '/%E7%A7%80/x')).toBe(false);
    expect(fullMatch(regex, '/%E7%A7%81/x')).toBe(true);
  });
});

describe('pathRegexOutside', () => {
  it('matches exactly what is neither the path nor below it', () => {
    const regex = pathRegexOutside('/jupyter');
    for (const path of ['/', '/jupyterx', '/jupyterx/user', '/jup', '/other/jupyter/x', '/Jupyter/x']) expect(fullMatch(regex, path), path).toBe(true);
    for (const path of ['/jupyter', '/jupyter/', '/jupyter/user/alice', '/jupyter/hub/api']) expect(fullMatch(regex, path), path).toBe(false);
  });
});
