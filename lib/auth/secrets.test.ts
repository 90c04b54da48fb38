import { describe, expect, it } from 'vitest';
import { secretsEqual } from './secrets';

describe('secretsEqual', () => {
  it('is true only for the same secret, whatever the lengths', () => {
    expect(secretsEqual('s3cret-token', 's3cret-token')).toBe(true);
    expect(secretsEqual('s3cret-token', 's3cret-tokeN')).toBe(false);
    expect(secretsEqual('s3cret', 's3cret-token')).toBe(false);
    expect(secretsEqual('', 's3cret-token')).toBe(false);
  });
});
