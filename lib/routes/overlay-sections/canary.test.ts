import { describe, expect, it } from 'vitest';
import { canarySection } from './canary';
import { checkContext, renderInput } from './test-fixtures';

const canary = { weights: { current: 90, canary: 10 }, destination: { service: 'demo' } };

describe('the canary section', () => {
  it('is optional, and its weights must add up to 100', () => {
    expect(canarySection.schema.safeParse(undefined).success).toBe(true);
    expect(canarySection.schema.safeParse({ ...canary, weights: { current: 90, canary: 20 } }).error?.issues.map((i) => i.path)).toEqual([['weights', 'canary']]);
  });

  it('is set when present, and says its share and Service', () => {
    expect([canarySection.isSet(undefined), canarySection.isSet(canary)]).toEqual([false, true]);
    expect(canarySection.describe(canary)).toBe('canary 10% to demo');
    expect(canarySection.describe(undefined)).toBeUndefined();
  });

  it('checks its destination under its own key', () => {
    expect(canarySection.check(canary, 'canary', checkContext)).toEqual([]);
    expect(canarySection.check({ ...canary, destination: { service: 'gone' } }, 'canary', checkContext)).toEqual([{ field: 'canary.destination.service', message: 'no Service "gone" in namespace hub' }]);
    expect(canarySection.check(undefined, 'canary', checkContext)).toEqual([]);
  });

  it('splits the route by weight, its own target first, keeping a 0 % canary; adds no rules', () => {
    const input = renderInput();
    expect(canarySection.destinations!(canary, input.routeTo, input)).toEqual([
      { destination: { host: 'target', port: { number: 8888 } }, weight: 90 },
      { destination: { host: 'demo' }, weight: 10 },
    ]);
    expect(canarySection.destinations!({ ...canary, weights: { current: 100, canary: 0 } }, input.routeTo, input).map((d) => d.weight)).toEqual([100, 0]);
    expect(canarySection.destinations!(undefined, input.routeTo, input)).toBe(input.routeTo);
    expect(canarySection.rules).toBeUndefined();
  });
});
