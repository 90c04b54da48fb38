import { describe, expect, it } from 'vitest';
import { timeoutSection } from './timeout';
import { checkContext } from './test-fixtures';

describe('the timeout section', () => {
  it('takes a duration up to 24h or "off", and renders the seconds Istio reads ("off" drops any timeout)', () => {
    expect(timeoutSection.schema.safeParse('25h').error?.issues[0]?.message).toBe('must be from 1ms to 1d');
    expect(timeoutSection.settings!('90s')).toEqual({ timeout: '90s' });
    expect(timeoutSection.settings!('1.5m')).toEqual({ timeout: '90s' });
    expect(timeoutSection.settings!('off')).toEqual({ timeout: undefined });
    expect(timeoutSection.settings!(undefined)).toEqual({});
  });

  it("warns on any route but the hub's own: notebooks and services carry websockets and long requests", () => {
    expect(timeoutSection.warn!('30s', 'timeout', checkContext)).toEqual([
      { field: 'timeout', message: 'this route carries websockets (kernels, terminals) and long requests: a 30s timeout cuts any of them that lasts longer' },
    ]);
    expect(timeoutSection.warn!('30s', 'timeout', { ...checkContext, data: { target: 'http://hub:8081', hub: true } })).toEqual([]);
    expect(timeoutSection.warn!('off', 'timeout', checkContext)).toEqual([]);
  });
});
