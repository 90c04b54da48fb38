import { describe, expect, it } from 'vitest';
import { retriesSection, retrySettings, retryWords, STARTUP_RETRIES, STARTUP_RETRY_ON } from './retries';
import { checkContext } from './test-fixtures';

describe('the retries section', () => {
  it('takes "off" or attempts with Istio\'s retry conditions (or status codes), the start-up preset by default', () => {
    expect(retriesSection.schema.parse({ attempts: 3 })).toEqual({ attempts: 3, retryOn: STARTUP_RETRY_ON });
    expect(retriesSection.schema.parse('off')).toBe('off');
    expect(retriesSection.schema.parse({ attempts: 2, retryOn: 'gateway-error,503', perTryTimeout: '2s' })).toEqual({ attempts: 2, retryOn: 'gateway-error,503', perTryTimeout: '2s' });
    const issue = (value: unknown) => retriesSection.schema.safeParse(value).error?.issues[0];
    expect(issue({ attempts: 0 })?.message).toBe('must be 1 to 10 (use "off" for none)');
    expect(issue({ attempts: 3, retryOn: 'connect-failure,sometimes' })).toMatchObject({ path: ['retryOn'], message: expect.stringContaining('must be a comma-separated list of connect-failure') });
    expect(issue({ attempts: 3, retryOn: 'reset,reset' })?.message).toBe('must not repeat a condition');
    expect(issue({ attempts: 3, retryOn: '5xx', extra: 1 })?.code).toBe('unrecognized_keys');
  });

  it('renders Istio\'s retries, and "off" as attempts 0, which turns off Istio\'s default retries', () => {
    expect(retrySettings(STARTUP_RETRIES as never)).toEqual({ retries: { attempts: 3, retryOn: STARTUP_RETRY_ON } });
    expect(retrySettings({ attempts: 2, retryOn: '5xx', perTryTimeout: '1.5s' })).toEqual({ retries: { attempts: 2, retryOn: '5xx', perTryTimeout: '1.500s' } });
    expect(retrySettings('off')).toEqual({ retries: { attempts: 0 } });
    expect(retriesSection.settings!(undefined)).toEqual({});
  });

  it('says what it does, and warns of conditions that retry what a server answered (a POST runs twice)', () => {
    expect(retriesSection.describe({ attempts: 3, retryOn: STARTUP_RETRY_ON })).toBe(`retries 3× on ${STARTUP_RETRY_ON}`);
    expect(retriesSection.describe('off')).toBe('retries off');
    expect(retryWords({ attempts: 3, retryOn: 'connect-failure,503' })).toEqual(['the connection to the server failed', 'the server answered 503']);
    expect(retriesSection.warn!({ attempts: 3, retryOn: STARTUP_RETRY_ON }, 'retries', checkContext)).toEqual([]);
    expect(retriesSection.warn!({ attempts: 3, retryOn: 'connect-failure,5xx,503' }, 'retries', checkContext)).toEqual([
      { field: 'retries.retryOn', message: '5xx, 503 retries requests the server answered: a POST (a cell\'s execution, a file\'s save) runs twice' },
    ]);
  });
});
