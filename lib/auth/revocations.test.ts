import { describe, expect, it } from 'vitest';
import { ISSUED_BEFORE, isRevoked, readRevocations, withRevoked } from './revocations';

const now = Date.parse('2026-11-24T10:00:00Z');
const nowSeconds = now / 1000;
const sid = (n: number) => `s${String(n).padStart(21, '0')}`;

describe('revocations', () => {
  it('revokes a session until its expiry, and leaves the others alone', () => {
    const { data, rotated } = withRevoked(undefined, { sid: sid(1), exp: nowSeconds + 3600 }, now);
    expect(rotated).toBe(false);
    expect(data).toEqual({ [sid(1)]: String(nowSeconds + 3600) });
    const revocations = readRevocations(data);
    expect(isRevoked(revocations, { sid: sid(1), iat: now - 1000 })).toBe(true);
    expect(isRevoked(revocations, { sid: sid(2), iat: now - 1000 })).toBe(false);
  });

  it('prunes the entries of sessions that have expired, on every write', () => {
    const before = { [sid(1)]: String(nowSeconds - 1), [sid(2)]: String(nowSeconds), [sid(3)]: String(nowSeconds + 1) };
    const { data } = withRevoked(before, { sid: sid(4), exp: nowSeconds + 60 }, now);
    expect(Object.keys(data).sort()).toEqual([sid(3), sid(4)]);
  });

  it('ends every session issued before issued-before, and keeps that time when adding entries', () => {
    const data = { [ISSUED_BEFORE]: new Date(now).toISOString() };
    const revocations = readRevocations(data);
    expect(isRevoked(revocations, { sid: sid(1), iat: now - 1 })).toBe(true);
    expect(isRevoked(revocations, { sid: sid(1), iat: now })).toBe(false);
    expect(withRevoked(data, { sid: sid(2), exp: nowSeconds + 60 }, now).data[ISSUED_BEFORE]).toBe(data[ISSUED_BEFORE]);
  });

  it('rotates when full: every session issued until now ends, the one being revoked too, and the list starts empty', () => {
    const full = Object.fromEntries([1, 2, 3].map((n) => [sid(n), String(nowSeconds + 60)]));
    expect(withRevoked(full, { sid: sid(4), exp: nowSeconds + 60 }, now, 4).rotated).toBe(false);
    const { data, rotated } = withRevoked(full, { sid: sid(4), exp: nowSeconds + 60 }, now, 3);
    expect(rotated).toBe(true);
    expect(data).toEqual({ [ISSUED_BEFORE]: '2026-11-24T10:00:00.000Z' });
    const revocations = readRevocations(data);
    for (const n of [1, 2, 3, 4]) expect(isRevoked(revocations, { sid: sid(n), iat: now - 1 })).toBe(true);
    expect(isRevoked(revocations, { sid: sid(5), iat: now + 1 })).toBe(false);
    // expired entries do not count towards the limit
    const stale = { ...full, [sid(1)]: String(nowSeconds - 5) };
    expect(withRevoked(stale, { sid: sid(4), exp: nowSeconds + 60 }, now, 3).rotated).toBe(false);
  });

  it('ignores, and reports, entries that make no sense', () => {
    const revocations = readRevocations({ [sid(1)]: 'soon', 'not-a-session-id': '1', [ISSUED_BEFORE]: 'yesterday', [sid(2)]: String(nowSeconds) });
    expect([...revocations.sids.keys()]).toEqual([sid(2)]);
    expect(revocations.issuedBefore).toBeUndefined();
    expect(revocations.invalid.sort()).toEqual([ISSUED_BEFORE, 'not-a-session-id', sid(1)].sort());
  });
});
