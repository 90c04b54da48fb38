import { describe, expect, it } from 'vitest';
import { openHubToken, sealHubToken } from './hub-token-seal';

const secret = 'a-session-secret-that-is-long-enough-0123';
const sid = 'AAAAAAAAAAAAAAAAAAAAAA';
const token = 'f3c1d5a0b2e94c7d8a6b5c4d3e2f1a0b';

describe('sealed hub tokens', () => {
  it('opens what it sealed, for the same session only', () => {
    const sealed = sealHubToken(secret, sid, token);
    expect(sealed).not.toContain(token);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(openHubToken(secret, sid, sealed)).toBe(token);
    expect(openHubToken(secret, 'BBBBBBBBBBBBBBBBBBBBBB', sealed)).toBeUndefined();
    expect(openHubToken('another-secret-of-enough-length-0123456', sid, sealed)).toBeUndefined();
  });

  it('seals the same token differently each time, and refuses anything altered or truncated', () => {
    const sealed = sealHubToken(secret, sid, token);
    expect(sealHubToken(secret, sid, token)).not.toBe(sealed);
    const raw = Buffer.from(sealed, 'base64url');
    raw[raw.length - 1]! ^= 1;
    expect(openHubToken(secret, sid, raw.toString('base64url'))).toBeUndefined();
    expect(openHubToken(secret, sid, sealed.slice(0, 20))).toBeUndefined();
    expect(openHubToken(secret, sid, '')).toBeUndefined();
  });
});
