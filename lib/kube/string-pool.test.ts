import { describe, expect, it } from 'vitest';
import { StringPool } from './string-pool';

describe('StringPool', () => {
  it('holds each distinct short value once, however many objects repeat it', () => {
    const pool = new StringPool();
    const pods = [1, 2, 3].map((i) => JSON.parse(JSON.stringify({ metadata: { name: `p${i}`, labels: { app: 'jupyterhub' } }, status: { phase: 'Running' } })));
    for (const pod of pods) pool.internAll(pod);
    // p1, p2, p3, jupyterhub, Running
    expect(pool.size).toBe(5);
  });

  it('changes no value, at any depth, in objects or arrays', () => {
    const pool = new StringPool();
    const object = { a: 'x', b: ['x', 'y', { c: 'z', d: [['deep']] }], e: 1, f: null, g: true, h: undefined };
    const copy = structuredClone(object);
    expect(pool.internAll(object)).toBe(object);
    expect(object).toEqual(copy);
  });

  it('passes over long values and frozen objects', () => {
    const pool = new StringPool(100, 8);
    const frozen = Object.freeze({ name: 'inside' });
    pool.internAll({ long: 'longer than eight', frozen });
    expect(pool.size).toBe(0);
    expect(frozen.name).toBe('inside');
  });

  it('forgets everything once full, so unique values cannot grow it without bound', () => {
    const pool = new StringPool(3);
    for (let i = 0; i < 10; i++) pool.intern(`uid-${i}`);
    expect(pool.size).toBeLessThanOrEqual(3);
    expect(pool.intern('uid-9')).toBe('uid-9');
  });

  it('walks deep nesting without recursion', () => {
    let nested: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) nested = [nested];
    expect(() => new StringPool().internAll(nested)).not.toThrow();
  });
});
