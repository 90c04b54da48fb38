import { describe, expect, it } from 'vitest';
import { rulesSection, type SelectiveRule } from './rules';
import { checkContext, renderInput } from './test-fixtures';

const rule = (name: string, match: SelectiveRule['match'], service = 'demo'): SelectiveRule => ({ name, match, destination: { service } });

describe('the selective rules section', () => {
  it('defaults to none, at most 20', () => {
    expect(rulesSection.schema.parse(undefined)).toEqual([]);
    expect(rulesSection.schema.safeParse(Array.from({ length: 21 }, (_, i) => rule(`r${i}`, { header: 'x-a', exact: 'b' }))).success).toBe(false);
  });

  it('is set with a rule, and names its rules', () => {
    expect([rulesSection.isSet([]), rulesSection.isSet([rule('a', { header: 'x-a', exact: 'b' })])]).toEqual([false, true]);
    expect(rulesSection.describe([rule('a', { header: 'x-a', exact: 'b' }), rule('b', { cookie: 'c', value: 'd' })])).toBe('rules a, b');
    expect(rulesSection.describe([])).toBeUndefined();
  });

  it('checks each rule in turn: its name, its match, its destination', () => {
    const rules = [rule('a', { header: 'x-a', regex: '(' }, 'gone'), rule('a', { cookie: 'c', value: 'x;y' })];
    expect(rulesSection.check(rules, 'rules', checkContext).map((e) => e.field)).toEqual(['rules[0].match.regex', 'rules[0].destination.service', 'rules[1].name', 'rules[1].match.value']);
  });

  it('renders each rule as given, on the route path narrowed by its header or cookie, after the previews', () => {
    const rendered = rulesSection.rules!.render([rule('exact', { header: 'x-a', exact: 'b' }), rule('re', { header: 'x-a', regex: 'b.*' }), rule('cookie', { cookie: 'beta', value: '1.0' })], renderInput());
    expect(rendered).toEqual([
      { name: 'rule-exact', match: [{ uri: { prefix: '/user/alice' }, headers: { 'x-a': { exact: 'b' } } }], route: [{ destination: { host: 'demo' } }] },
      { name: 'rule-re', match: [{ uri: { prefix: '/user/alice' }, headers: { 'x-a': { regex: 'b.*' } } }], route: [{ destination: { host: 'demo' } }] },
      { name: 'rule-cookie', match: [{ uri: { prefix: '/user/alice' }, headers: { cookie: { regex: '^(.*?;\\s*)?beta=1\\.0(;.*)?$' } } }], route: [{ destination: { host: 'demo' } }] },
    ]);
    expect(rulesSection.rules!.render([rule('a', { header: 'x-a', exact: 'b' })], renderInput({ routePath: '/blocked' }))).toEqual([]);
  });
});
