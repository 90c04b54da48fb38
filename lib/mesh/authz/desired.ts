import { authorizationPolicyKind, type AuthorizationPolicy, type AuthorizationRule } from '../../kube/authorizationpolicies';
import { LABELS } from '../../kube/labels';
import { USERNAME_KEY } from '../pod-status';
import { principalOf, type Identity } from './identities';

/** The proxy API's paths (CHP's REST API): only the hub may call them. */
export const PROXY_API_PATHS = ['/api/routes', '/api/routes/*'];

/** What an isolation policy object is: one of the three, or an admin's named exception. */
export const ISOLATION_LABEL = 'hubmesh.io/isolation';
/** The exception as the admin entered it, JSON, on its AuthorizationPolicy. */
export const EXCEPTION_ANNOTATION = 'hubmesh.io/exception';

export type IsolationTarget = 'notebooks' | 'hub' | 'hubmesh';

/** An identity the admin lets in beyond the intended ones, e.g. a course's grading service into student notebooks. */
export type IsolationException = {
  /** a DNS label; the AuthorizationPolicy is `<prefix>-allow-<name>` */
  name: string;
  source: { namespace: string; serviceAccount: string };
  target: 'notebooks' | 'hub';
  /** notebooks only: one user's pods (the value of their hub.jupyter.org/username label); absent: every notebook */
  user?: string;
  reason: string;
};

export type IsolationIdentities = { gateway: Identity[]; hub: Identity[]; hubmesh: Identity[]; notebooks: Identity[] };

export type WorkloadSelectors = Record<IsolationTarget, Record<string, string>>;

const principals = (identities: Identity[]) => identities.map((i) => i.principal);

const policyObject = (name: string, namespace: string, prefix: string, kind: string, selector: Record<string, string>, rules: AuthorizationRule[], annotations?: Record<string, string>): AuthorizationPolicy => ({
  apiVersion: `${authorizationPolicyKind.group}/${authorizationPolicyKind.version}`,
  kind: authorizationPolicyKind.kind,
  metadata: { name, namespace, labels: { [LABELS.managedBy]: 'hubmesh', [LABELS.prefix]: prefix, [ISOLATION_LABEL]: kind }, ...(annotations ? { annotations } : {}) },
  spec: { selector: { matchLabels: selector }, action: 'ALLOW', rules },
});

export const isolationPolicyName = (prefix: string, target: IsolationTarget) => `${prefix}-isolate-${target}`;
export const exceptionPolicyName = (prefix: string, name: string) => `${prefix}-allow-${name}`;

/**
 * The three ALLOW policies "Isolate notebooks" ensures: notebooks accept the gateway and the hub; the hub accepts
 * the gateway, the notebooks and hubmesh; hubmesh's proxy API accepts only the hub, and the rest of hubmesh (the
 * console) the gateway. Anything else is denied by Istio's implicit deny, except what the admin's exceptions add
 * as policies of their own.
 */
export function desiredIsolationPolicies(options: { namespace: string; prefix: string; selectors: WorkloadSelectors; identities: IsolationIdentities }): AuthorizationPolicy[] {
  const { namespace, prefix, selectors, identities } = options;
  const from = (list: Identity[]) => [{ source: { principals: principals(list) } }];
  return [
    policyObject(isolationPolicyName(prefix, 'notebooks'), namespace, prefix, 'notebooks', selectors.notebooks, [{ from: from([...identities.gateway, ...identities.hub]) }]),
    policyObject(isolationPolicyName(prefix, 'hub'), namespace, prefix, 'hub', selectors.hub, [{ from: from([...identities.gateway, ...identities.notebooks, ...identities.hubmesh]) }]),
    policyObject(isolationPolicyName(prefix, 'hubmesh'), namespace, prefix, 'hubmesh', selectors.hubmesh, [
      { from: from(identities.hub), to: [{ operation: { paths: PROXY_API_PATHS } }] },
      ...(identities.gateway.length ? [{ from: from(identities.gateway), to: [{ operation: { notPaths: PROXY_API_PATHS } }] }] : []),
    ]),
  ];
}

/** An exception's own ALLOW policy. */
export function exceptionPolicy(options: { namespace: string; prefix: string; trustDomain: string; selectors: WorkloadSelectors; exception: IsolationException }): AuthorizationPolicy {
  const { namespace, prefix, trustDomain, selectors, exception } = options;
  const selector = exception.target === 'hub' ? selectors.hub : { ...selectors.notebooks, ...(exception.user ? { [USERNAME_KEY]: exception.user } : {}) };
  return policyObject(
    exceptionPolicyName(prefix, exception.name),
    namespace,
    prefix,
    'exception',
    selector,
    [{ from: [{ source: { principals: [principalOf(trustDomain, exception.source.namespace, exception.source.serviceAccount)] } }] }],
    { [EXCEPTION_ANNOTATION]: JSON.stringify(exception) },
  );
}

/** The exception an exception policy carries; undefined for any other object or a damaged annotation. */
export function exceptionOf(policy: AuthorizationPolicy): IsolationException | undefined {
  if (policy.metadata.labels?.[ISOLATION_LABEL] !== 'exception') return undefined;
  try {
    const parsed = JSON.parse(policy.metadata.annotations?.[EXCEPTION_ANNOTATION] ?? '') as IsolationException;
    return typeof parsed?.name === 'string' && typeof parsed.source?.serviceAccount === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
