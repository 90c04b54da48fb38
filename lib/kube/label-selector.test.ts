import { describe, expect, it } from 'vitest';
import { matchesLabelSelector, parseLabelSelector } from './label-selector';

describe('label selectors', () => {
  const labels = { 'app.kubernetes.io/managed-by': 'hubmesh', 'hubmesh.io/prefix': 'blue', tier: 'web' };

  it.each([
    ['', true],
    ['app.kubernetes.io/managed-by=hubmesh', true],
    ['app.kubernetes.io/managed-by==hubmesh', true],
    ['app.kubernetes.io/managed-by=hubmesh,hubmesh.io/prefix=blue', true],
    ['app.kubernetes.io/managed-by=hubmesh,hubmesh.io/prefix=green', false],
    ['tier!=web', false],
    ['tier!=db', true],
    ['tier', true],
    ['!tier', false],
    ['missing', false],
    ['!missing', true],
    ['missing!=x', true],
  ])('%j matches: %s', (selector, expected) => {
    expect(matchesLabelSelector(labels, parseLabelSelector(selector))).toBe(expected);
  });

  it('treats missing labels as an empty set', () => {
    expect(matchesLabelSelector(undefined, parseLabelSelector('a=b'))).toBe(false);
    expect(matchesLabelSelector(undefined, parseLabelSelector('!a'))).toBe(true);
  });

  it('rejects set-based terms it does not implement instead of ignoring them', () => {
    expect(() => parseLabelSelector('env in (a,b)')).toThrow(/unsupported/);
  });
});
