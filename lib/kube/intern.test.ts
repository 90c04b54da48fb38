import { describe, expect, it } from 'vitest';
import { deepFreeze, SharedValues, StringPool } from './intern';

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

describe('SharedValues', () => {
  it('answers the first of equal values, frozen to its depth', () => {
    const shared = new SharedValues();
    const first = shared.share([{ type: 'Ready', status: 'True' }]);
    const again = shared.share([{ type: 'Ready', status: 'True' }]);
    expect(again).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first[0])).toBe(true);
    expect(shared.share([{ type: 'Ready', status: 'False' }])).not.toBe(first);
    expect(shared.share(undefined)).toBeUndefined();
  });

  it('forgets everything once full', () => {
    const shared = new SharedValues(2);
    for (let i = 0; i < 5; i++) shared.share({ i });
    expect(shared.size).toBeLessThanOrEqual(2);
  });
});

describe('deepFreeze', () => {
  it('freezes every level', () => {
    const value = deepFreeze({ a: { b: [{ c: 1 }] } });
    expect(Object.isFrozen(value.a.b[0])).toBe(true);
  });
});
