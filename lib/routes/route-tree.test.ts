import { describe, expect, it } from 'vitest';
import { pathSegments, RouteTree } from './route-tree';

const paths = (entries: Array<{ path: string }>) => entries.map((e) => e.path);

describe('RouteTree', () => {
  const tree = () => {
    const t = new RouteTree<number>(false);
    ['/', '/jupyter', '/jupyter/user/alice', '/jupyter/user/alice/lab2', '/jupyter/user/alice/lab2/deep', '/jupyter/services/x', '/extra'].forEach((p, i) => t.set(p, i));
    return t;
  };

  it('splits paths as CHP does', () => {
    expect(pathSegments('/')).toEqual([]);
    expect(pathSegments('/a/b/')).toEqual(['a', 'b']);
    expect(pathSegments('/a//b')).toEqual(['a', '', 'b']);
  });

  it('lists ancestors nearest first, and only whole segments', () => {
    const t = tree();
    expect(paths(t.ancestors('/jupyter/user/alice/lab2/deep'))).toEqual(['/jupyter/user/alice/lab2', '/jupyter/user/alice', '/jupyter', '/']);
    expect(paths(t.ancestors('/jupyter/user/alicex'))).toEqual(['/jupyter', '/']);
    expect(paths(t.ancestors('/'))).toEqual([]);
  });

  it('lists descendants most specific first, optionally without one subtree', () => {
    const t = tree();
    expect(paths(t.descendants('/jupyter'))).toEqual(['/jupyter/user/alice/lab2/deep', '/jupyter/user/alice/lab2', '/jupyter/services/x', '/jupyter/user/alice']);
    expect(paths(t.descendants('/', '/jupyter'))).toEqual(['/extra']);
    expect(paths(t.descendants('/nothing'))).toEqual([]);
  });

  it('answers the first segments that hold routes, and the nearest routes below', () => {
    const t = tree();
    expect(t.occupiedChildSegments('/jupyter')).toEqual(['services', 'user']);
    expect(t.occupiedChildSegments('/')).toEqual(['extra', 'jupyter']);
    expect(paths(t.nearestBelow('/jupyter')).sort()).toEqual(['/jupyter/services/x', '/jupyter/user/alice']);
    expect(paths(t.tops(''))).toEqual(['/']);
  });

  it('prunes what a delete leaves empty', () => {
    const t = tree();
    expect(t.delete('/jupyter/services/x')).toBe(true);
    expect(t.occupiedChildSegments('/jupyter')).toEqual(['user']);
    expect(t.delete('/jupyter/services/x')).toBe(false);
    expect(t.delete('/jupyter/user')).toBe(false);
    expect(t.get('/jupyter/user/alice')).toBe(2);
  });

  it('answers the same after a subtree is emptied and filled again', () => {
    const t = tree();
    for (const p of ['/jupyter/services/x', '/jupyter/user/alice/lab2/deep', '/jupyter/user/alice', '/jupyter/user/alice/lab2']) expect(t.delete(p)).toBe(true);
    expect(t.occupiedChildSegments('/jupyter')).toEqual([]);
    expect(t.descendants('/jupyter')).toEqual([]);
    expect(t.nearestBelow('/jupyter')).toEqual([]);
    t.set('/jupyter/user/bob', 9);
    expect(t.occupiedChildSegments('/jupyter')).toEqual(['user']);
    expect(paths(t.ancestors('/jupyter/user/bob/lab'))).toEqual(['/jupyter/user/bob', '/jupyter', '/']);
    expect(t.get('/jupyter/user/bob')).toBe(9);
  });

  it('walks a path as deep as a request line allows', () => {
    const t = new RouteTree<number>(false);
    const deep = '/a'.repeat(8_000);
    t.set('/', 0);
    t.set(deep, 1);
    expect(t.descendants('/').map((e) => e.path)).toEqual([deep]);
    expect(t.ancestors(deep).map((e) => e.path)).toEqual(['/']);
    expect(t.nearestBelow('/').map((e) => e.path)).toEqual([deep]);
    expect(t.delete(deep)).toBe(true);
  });

  it('keeps one tree per host with host routing', () => {
    const t = new RouteTree<string>(true);
    t.set('/', 'hub');
    t.set('/alice.hub.example.com/user/alice', 'a');
    t.set('/alice.hub.example.com/user/alice/lab2', 'b');
    expect(paths(t.ancestors('/alice.hub.example.com/user/alice/lab2'))).toEqual(['/alice.hub.example.com/user/alice']);
    expect(paths(t.tops('alice.hub.example.com'))).toEqual(['/alice.hub.example.com/user/alice']);
    expect(t.hosts().sort()).toEqual(['', 'alice.hub.example.com']);
    expect(paths(t.ancestors('/alice.hub.example.com/user/alice'))).toEqual([]);
  });
});
