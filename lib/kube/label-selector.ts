/**
 * Equality- and set-free label selectors ("a=b,c!=d,e,!f"), the subset hubmesh uses, evaluated
 * the way the apiserver does. Only the embedded local store needs this; the apiserver filters itself.
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
