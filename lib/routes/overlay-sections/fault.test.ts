import { describe, expect, it } from 'vitest';
import { describeFault, faultSection, type Fault } from './fault';
import { checkContext, renderInput } from './test-fixtures';

const scoped: Fault = { abort: { percent: 50, httpStatus: 503 }, scope: { header: 'x-hubmesh-fault', exact: 'demo' }, expiresAt: '2026-12-01T13:00:00.000Z' };

describe('the fault section', () => {
  it('needs a delay or an abort, a scope and an expiry', () => {
    const issues = (value: unknown) => faultSection.schema.safeParse(value).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ scope: 'everyone', expiresAt: scoped.expiresAt })).toEqual(['abort: needs a delay, an abort or both']);
    expect(issues({ abort: { percent: 0, httpStatus: 503 }, scope: 'everyone', expiresAt: scoped.expiresAt })).toEqual(['abort.percent: must be more than 0']);
    expect(issues({ abort: { percent: 5, httpStatus: 700 }, scope: 'everyone', expiresAt: scoped.expiresAt })).toEqual(['abort.httpStatus: must be an HTTP status from 200 to 599']);
    expect(issues({ delay: { percent: 5, fixedDelay: '2m' }, scope: 'everyone', expiresAt: scoped.expiresAt })).toEqual(['delay.fixedDelay: must be from 1ms to 1m']);
    expect(issues({ abort: scoped.abort, expiresAt: scoped.expiresAt })?.[0]).toMatch(/^scope: /);
    expect(issues({ abort: scoped.abort, scope: 'everyone' })?.[0]).toMatch(/^expiresAt: /);
  });

  it('checks its scope as a selective match, and that it expires within 24h from now', () => {
    expect(faultSection.check(scoped, 'fault', checkContext)).toEqual([]);
    expect(faultSection.check({ ...scoped, scope: { header: 'x-a', regex: '(' } }, 'fault', checkContext)).toEqual([{ field: 'fault.scope.regex', message: expect.stringMatching(/^not an RE2 regex/) }]);
    expect(faultSection.check({ ...scoped, expiresAt: '2026-12-01T11:00:00.000Z' }, 'fault', checkContext)).toEqual([{ field: 'fault.expiresAt', message: 'has passed (2026-12-01T11:00:00.000Z): give the fault a ttl' }]);
    expect(faultSection.check({ ...scoped, expiresAt: '2026-12-03T12:00:00.000Z' }, 'fault', checkContext)).toEqual([{ field: 'fault.expiresAt', message: 'is more than 24h away: a fault lives at most 24h' }]);
  });

  it('renders a scoped fault as a rule of its own, first, sending where the route sends; an unscoped one on every rule', () => {
    const input = renderInput();
    expect(faultSection.rules!.render(scoped, input)).toEqual([
      { name: 'fault', match: [{ uri: { prefix: '/user/alice' }, headers: { 'x-hubmesh-fault': { exact: 'demo' } } }], route: input.routeTo, fault: { abort: { percentage: { value: 50 }, httpStatus: 503 } } },
    ]);
    expect(faultSection.settings!(scoped)).toEqual({});
    const everyone: Fault = { delay: { percent: 10, fixedDelay: '1.5s' }, scope: 'everyone', expiresAt: scoped.expiresAt };
    expect(faultSection.rules!.render(everyone, input)).toEqual([]);
    expect(faultSection.settings!(everyone)).toEqual({ fault: { delay: { percentage: { value: 10 }, fixedDelay: '1.500s' } } });
    expect(faultSection.rules!.render(scoped, renderInput({ routePath: '/blocked' }))).toEqual([]);
  });

  it('says what it does, to whom and until when', () => {
    expect(describeFault(scoped)).toBe('fault abort 503 on 50% of requests with x-hubmesh-fault: demo until 2026-12-01T13:00:00.000Z');
    expect(describeFault({ ...scoped, delay: { percent: 5, fixedDelay: '2s' }, scope: { cookie: 'demo', value: 'on' } })).toBe(
      'fault delay 2s on 5% and abort 503 on 50% of requests with cookie demo=on until 2026-12-01T13:00:00.000Z',
    );
  });
});
