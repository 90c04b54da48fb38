import { describe, expect, it } from 'vitest';
import { matchesLabelSelector, matchesSelectorObject, parseLabelSelector, type LabelSelector } from './label-selector';

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

describe('label selector objects', () => {
  const labels = { component: 'singleuser-server', app: 'jupyterhub', 'hub.jupyter.org/username': 'alice' };

  it.each<[string, LabelSelector, boolean]>([
    ['empty: everything', {}, true],
    ['empty matchLabels and expressions', { matchLabels: {}, matchExpressions: [] }, true],
    ['matchLabels', { matchLabels: { component: 'singleuser-server', app: 'jupyterhub' } }, true],
    ['matchLabels, one differs', { matchLabels: { component: 'singleuser-server', app: 'other' } }, false],
    ['matchLabels, one missing', { matchLabels: { release: 'jupyterhub' } }, false],
    ['In', { matchExpressions: [{ key: 'component', operator: 'In', values: ['hub', 'singleuser-server'] }] }, true],
    ['In, other value', { matchExpressions: [{ key: 'component', operator: 'In', values: ['hub'] }] }, false],
    ['In, key missing', { matchExpressions: [{ key: 'release', operator: 'In', values: ['jupyterhub'] }] }, false],
    ['NotIn', { matchExpressions: [{ key: 'component', operator: 'NotIn', values: ['hub'] }] }, true],
    ['NotIn, listed value', { matchExpressions: [{ key: 'component', operator: 'NotIn', values: ['singleuser-server'] }] }, false],
    ['NotIn, key missing', { matchExpressions: [{ key: 'release', operator: 'NotIn', values: ['x'] }] }, true],
    ['Exists', { matchExpressions: [{ key: 'hub.jupyter.org/username', operator: 'Exists' }] }, true],
    ['Exists, missing', { matchExpressions: [{ key: 'release', operator: 'Exists' }] }, false],
    ['DoesNotExist', { matchExpressions: [{ key: 'release', operator: 'DoesNotExist' }] }, true],
    ['DoesNotExist, present', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
    ['labels and expressions are ANDed', { matchLabels: { app: 'jupyterhub' }, matchExpressions: [{ key: 'component', operator: 'In', values: ['hub'] }] }, false],
    ['an unknown operator selects nothing', { matchExpressions: [{ key: 'app', operator: 'Matches' as 'In', values: ['jupyterhub'] }] }, false],
  ])('%s', (_name, selector, expected) => {
    expect(matchesSelectorObject(labels, selector)).toBe(expected);
  });

  it('treats missing labels as an empty set', () => {
    expect(matchesSelectorObject(undefined, {})).toBe(true);
    expect(matchesSelectorObject(undefined, { matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] })).toBe(true);
    expect(matchesSelectorObject(undefined, { matchLabels: { a: '' } })).toBe(false);
  });

  it('tells an empty value from a missing label', () => {
    expect(matchesSelectorObject({ a: '' }, { matchLabels: { a: '' } })).toBe(true);
    expect(matchesSelectorObject({ a: '' }, { matchExpressions: [{ key: 'a', operator: 'In', values: [''] }] })).toBe(true);
  });
});
