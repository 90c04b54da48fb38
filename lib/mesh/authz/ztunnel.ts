import type { AuthorizationPolicy, AuthorizationRule } from '../../kube/authorizationpolicies';
import { actionOf } from './evaluate';
import { l7Attributes } from './l7';

/** The HTTP attributes one rule uses, by Istio's names (l7.ts). */
const ruleAttributes = (policy: AuthorizationPolicy, rule: AuthorizationRule) => new Set(l7Attributes({ ...policy, spec: { ...policy.spec, rules: [rule] } }));

/** The rule with the fields and `when` conditions named in `attributes` left out: what is left matches more. */
function withoutAttributes(rule: AuthorizationRule, attributes: Set<string>): AuthorizationRule {
  const keep = <T extends object>(object: T | undefined): T | undefined => object && (Object.fromEntries(Object.entries(object).filter(([field]) => !attributes.has(field))) as T);
  return {
    ...(rule.from ? { from: rule.from.map((f) => ({ source: keep(f.source) })) } : {}),
    ...(rule.to ? { to: rule.to.map((t) => ({ operation: keep(t.operation) })) } : {}),
    ...(rule.when ? { when: rule.when.filter((c) => !attributes.has(c.key)) } : {}),
  };
}

/**
 * The policy as ztunnel enforces it on an ambient pod without a sidecar, after istiod's conversion
 * (handleRule and convertAuthorizationPolicy in pilot/pkg/serviceregistry/ambient/authorization.go):
 * - an ALLOW rule that uses any HTTP attribute is dropped, so it never matches (a policy left without rules
 *   allows nothing, and still makes every other connection an implicit deny);
 * - a DENY rule keeps only its L4 parts, so it denies every connection those match (a rule whose only
 *   condition was HTTP denies everything);
 * - CUSTOM and AUDIT policies are not given to ztunnel at all: undefined.
 * Evaluating the result as usual (evaluate.ts decide) gives ztunnel's decision. Pure.
 */
export function ztunnelView(policy: AuthorizationPolicy): AuthorizationPolicy | undefined {
  const action = actionOf(policy);
  if (action !== 'ALLOW' && action !== 'DENY') return undefined;
  const rules = (policy.spec?.rules ?? []).flatMap((rule) => {
    const attributes = ruleAttributes(policy, rule);
    if (attributes.size === 0) return [rule];
    return action === 'ALLOW' ? [] : [withoutAttributes(rule, attributes)];
  });
  return { ...policy, spec: { ...policy.spec, rules } };
}
