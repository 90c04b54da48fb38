/**
 * Equality- and set-free label selectors ("a=b,c!=d,e,!f"), the subset hubmesh uses, evaluated
 * the way the apiserver does. Only the embedded local store needs this; the apiserver filters itself.
 * Also label selector objects (matchLabels, matchExpressions), which the NetworkPolicy validations evaluate.
 */
type Requirement = { key: string; op: '=' | '!=' | 'exists' | '!exists'; value?: string };

export function parseLabelSelector(selector: string | undefined): Requirement[] {
  if (!selector?.trim()) return [];
  return selector.split(',').map((raw) => {
    const term = raw.trim();
    const notEqual = term.match(/^([^=!\s]+)\s*!=\s*(.*)$/);
    if (notEqual) return { key: notEqual[1]!, op: '!=', value: notEqual[2]!.trim() };
    const equal = term.match(/^([^=!\s]+)\s*==?\s*(.*)$/);
    if (equal) return { key: equal[1]!, op: '=', value: equal[2]!.trim() };
    if (/^![^=!\s]+$/.test(term)) return { key: term.slice(1), op: '!exists' };
    if (/^[^=!\s]+$/.test(term)) return { key: term, op: 'exists' };
    throw new Error(`unsupported label selector term ${JSON.stringify(term)}`);
  });
}

export function matchesLabelSelector(labels: Record<string, string> | undefined, requirements: Requirement[]): boolean {
  return requirements.every(({ key, op, value }) => {
    const actual = labels?.[key];
    switch (op) {
      case '=':
        return actual === value;
      case '!=':
        return actual !== value;
      case 'exists':
        return actual !== undefined;
      case '!exists':
        return actual === undefined;
    }
  });
}

/** A label selector object (metav1.LabelSelector), as NetworkPolicies, Deployments and PodDisruptionBudgets carry it. */
export type LabelSelector = {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
};

/**
 * Whether `labels` satisfy a selector object, as apimachinery's LabelSelectorAsSelector evaluates it: every
 * matchLabels pair and every expression must hold (the terms are ANDed); an empty selector (`{}`) selects
 * everything. `In` needs the key with one of the values, `NotIn` holds when the key is absent or has none of
 * them. An operator the apiserver would have refused selects nothing, so a broken selector never widens a match.
 */
export function matchesSelectorObject(labels: Record<string, string> | undefined, selector: LabelSelector): boolean {
  const actual = labels ?? {};
  const has = (key: string) => Object.hasOwn(actual, key);
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (!has(key) || actual[key] !== value) return false;
  return (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In':
        return has(key) && values.includes(actual[key]!);
      case 'NotIn':
        return !has(key) || !values.includes(actual[key]!);
      case 'Exists':
        return has(key);
      case 'DoesNotExist':
        return !has(key);
      default:
        return false;
    }
  });
}
