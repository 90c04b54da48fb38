import type { IsolationException } from '@/lib/mesh/authz/desired';
import type { PolicyRef } from '@/lib/mesh/authz/evaluate';
import type { Identity } from '@/lib/mesh/authz/identities';
import type { Access, TargetGroup, TargetKind } from '@/lib/mesh/authz/isolation';
import type { Flow, FlowEnd } from '@/lib/mesh/authz/traffic';
import type { IsolationVerdict } from '@/lib/mesh/authz/verdict';
import { listSome } from '@/lib/mesh/authz/verdict';

/** The isolation page's words, in one pure place: what decided an access, captions, flows, exceptions and the exception form. */

export { listSome };

export const ISOLATION_WINDOWS = ['15m', '1h', '6h', '24h'] as const;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

// ---- who may reach what ----

const TARGET_ORDER: readonly TargetKind[] = ['notebook', 'hub', 'hubmesh-proxy-api', 'hubmesh-console'];

/** The groups by target: notebooks, the hub, hubmesh's proxy API, hubmesh's console; the answer's order within a target. */
export function orderGroups<G extends Pick<TargetGroup, 'target'>>(groups: readonly G[]): G[] {
  return TARGET_ORDER.flatMap((target) => groups.filter((g) => g.target === target));
}

/** "the notebooks of alice and bob", "the hub", "hubmesh's proxy API", "hubmesh's console". */
export function targetWords(group: Pick<TargetGroup, 'target' | 'users' | 'pods'>): string {
  switch (group.target) {
    case 'notebook':
      if (group.users.length) return `the notebooks of ${listSome(group.users)}`;
      return group.pods.length ? `notebook pods ${listSome(group.pods)}` : 'the notebooks';
    case 'hub':
      return 'the hub';
    case 'hubmesh-proxy-api':
      return "hubmesh's proxy API";
    case 'hubmesh-console':
      return "hubmesh's console";
  }
}

/** One caption per group, "Who may reach …"; groups of one target whose words coincide are told apart by their pods. */
export function groupCaptions(groups: ReadonlyArray<Pick<TargetGroup, 'target' | 'users' | 'pods'>>): string[] {
  const captions = groups.map((g) => `Who may reach ${targetWords(g)}`);
  return captions.map((caption, i) => (captions.indexOf(caption) !== captions.lastIndexOf(caption) ? `${caption} (pods ${listSome(groups[i]!.pods)})` : caption));
}

export const allowedText = (allowed: Access['allowed']) => (allowed === true ? 'Allowed' : allowed === false ? 'Denied' : 'Unknown');

/** A row's highlight: reachable (or maybe) but not intended is a failure; intended but not surely reachable a warning. */
export function accessTone(access: Pick<Access, 'intended' | 'allowed'>): 'bad' | 'warn' | undefined {
  if (!access.intended && access.allowed !== false) return 'bad';
  if (access.intended && access.allowed !== true) return 'warn';
  return undefined;
}

/** A policy by name, with its namespace when it is not the hub namespace's (the root namespace's). */
export const policyLabel = (ref: Pick<PolicyRef, 'namespace' | 'name'>, namespace: string) => (ref.namespace === namespace ? ref.name : `${ref.namespace}/${ref.name}`);

/** "Decided by", in parts so the policies can be links: `before`, the policies comma-separated, `after`, then the notes. */
export type DecidedBy = { before: string; policies: PolicyRef[]; after: string; notes: string[] };

export function decidedBy(access: Pick<Access, 'decidedBy' | 'policies' | 'custom' | 'unknowns'>): DecidedBy {
  const notes = [
    ...(access.unknowns.length ? [`depends on ${access.unknowns.join(' and ')}`] : []),
    ...(access.custom.length ? [`CUSTOM ${access.custom.map((p) => p.name).join(', ')} asked first`] : []),
  ];
  switch (access.decidedBy) {
    case 'allow-policy':
      return { before: '', policies: access.policies, after: '', notes };
    case 'deny-policy':
      return { before: 'denied by ', policies: access.policies, after: '', notes };
    case 'no-allow-policies':
      return { before: 'no ALLOW policy applies', policies: [], after: '', notes };
    case 'no-allow-match':
      return access.policies.length ? { before: 'no ALLOW policy matches (', policies: access.policies, after: ')', notes } : { before: 'no ALLOW policy matches', policies: [], after: '', notes };
    case 'mtls-strict':
      return { before: 'mTLS STRICT refuses plaintext', policies: [], after: '', notes };
  }
}

export function decidedByText(access: Pick<Access, 'decidedBy' | 'policies' | 'custom' | 'unknowns'>, namespace: string): string {
  const d = decidedBy(access);
  return [`${d.before}${d.policies.map((p) => policyLabel(p, namespace)).join(', ')}${d.after}`, ...d.notes].join('; ');
}

// ---- the verdict ----

export type Check = { name: 'configuration' | 'traffic' | 'pods'; label: string; tone: 'ok' | 'warn' | 'bad'; text: string };

/** The three checks, each "Label: state". */
export function verdictChecks(checks: IsolationVerdict['checks']): Check[] {
  const check = (name: Check['name'], tone: Check['tone'], text: string): Check => ({ name, label: `${name[0]!.toUpperCase()}${name.slice(1)}`, tone, text });
  return [
    checks.configuration ? check('configuration', 'ok', 'forbids every unintended path') : check('configuration', 'bad', 'allows unintended paths'),
    checks.traffic === undefined
      ? check('traffic', 'warn', 'unknown without Prometheus')
      : checks.traffic
        ? check('traffic', 'ok', 'no notebook-to-notebook traffic')
        : check('traffic', 'bad', 'notebook-to-notebook traffic seen'),
    checks.pods ? check('pods', 'ok', 'every pod has a ready sidecar') : check('pods', 'bad', 'pods without a ready sidecar'),
  ];
}

/** A message as a sentence: ended by a full stop (its words kept as they are, names included). */
export const sentence = (message: string) => (/[.!?]$/.test(message.trim()) ? message.trim() : `${message.trim()}.`);

/** The in-page anchor of an AuthorizationPolicy in the policy list. */
export const policyAnchor = (ref: { namespace: string; name: string }) => `policy-${ref.namespace}-${ref.name}`;

/** Where an object the verdict names can be seen: a notebook pod on the pods page, a policy in this page's list. */
export function objectHref(o: { kind: string; namespace: string; name: string }, known: { notebookPods: ReadonlySet<string>; policies: ReadonlySet<string> }): string | undefined {
  if (o.kind === 'Pod' && known.notebookPods.has(o.name)) return `/pods?q=${encodeURIComponent(o.name)}`;
  if (o.kind === 'AuthorizationPolicy' && known.policies.has(`${o.namespace}/${o.name}`)) return `#${policyAnchor(o)}`;
  return undefined;
}

// ---- identities ----

/** "read from pods a, b and c (service account hub)" */
export const identitySource = (identity: Pick<Identity, 'pods' | 'serviceAccount'>) =>
  `read from ${identity.pods.length === 1 ? 'pod' : 'pods'} ${listSome(identity.pods)} (service account ${identity.serviceAccount})`;

export const ROLE_TITLES = { gateway: 'The ingress gateway', hub: 'The hub', hubmesh: 'hubmesh', notebooks: 'Notebooks' } as const;

// ---- traffic ----

/** "alice's notebook (jupyter-alice)", or "namespace/workload". */
export const flowEnd = (end: FlowEnd) => (end.user !== undefined ? `${end.user}'s notebook (${end.workload})` : `${end.namespace}/${end.workload}`);

/** "12 requests (3 answered 403), 2 TCP connections" */
export function flowAmounts(flow: Pick<Flow, 'requests' | 'connections' | 'denied'>): string {
  const requests = Math.round(flow.requests);
  const denied = Math.round(flow.denied);
  const connections = Math.round(flow.connections);
  const parts = [requests > 0 ? `${plural(requests, 'request')}${denied > 0 ? ` (${denied} answered 403)` : ''}` : '', connections > 0 ? plural(connections, 'TCP connection') : ''].filter(Boolean);
  return parts.length ? parts.join(', ') : 'under one request';
}

const flowKey = (f: Flow) => [f.source.namespace, f.source.workload, f.source.principal ?? '', f.destination.namespace, f.destination.workload].join('\u0000');

/** The flows that are not notebook-to-notebook. */
export function otherFlows(flows: readonly Flow[], notebookToNotebook: readonly Flow[]): Flow[] {
  const shown = new Set(notebookToNotebook.map(flowKey));
  return flows.filter((f) => !shown.has(flowKey(f)));
}

// ---- exceptions ----

export const exceptionWho = (e: Pick<IsolationException, 'source'>) => `${e.source.namespace}/${e.source.serviceAccount}`;

export const exceptionInto = (e: Pick<IsolationException, 'target' | 'user'>) => (e.target === 'hub' ? 'the hub' : e.user !== undefined ? `${e.user}'s notebooks` : 'every notebook');

/** The exception form as typed. */
export type ExceptionDraft = { name: string; namespace: string; serviceAccount: string; scope: 'notebooks' | 'user' | 'hub'; user: string; reason: string };
export type ExceptionField = keyof ExceptionDraft;

export const EMPTY_EXCEPTION: ExceptionDraft = { name: '', namespace: '', serviceAccount: '', scope: 'notebooks', user: '', reason: '' };

export const SCOPES: ReadonlyArray<{ value: ExceptionDraft['scope']; label: string }> = [
  { value: 'notebooks', label: 'every notebook' },
  { value: 'user', label: "one user's notebooks" },
  { value: 'hub', label: 'the hub' },
];

/** The PUT's path and body, without dryRun. */
export function exceptionRequest(draft: ExceptionDraft): { url: string; body: { source: { namespace: string; serviceAccount: string }; target: 'notebooks' | 'hub'; user?: string; reason: string } } {
  return {
    url: `/api/v1/mesh/isolation/exceptions/${encodeURIComponent(draft.name.trim())}`,
    body: {
      source: { namespace: draft.namespace.trim(), serviceAccount: draft.serviceAccount.trim() },
      target: draft.scope === 'hub' ? 'hub' : 'notebooks',
      ...(draft.scope === 'user' ? { user: draft.user.trim() } : {}),
      reason: draft.reason,
    },
  };
}

const FIELDS: Record<string, ExceptionField> = { 'source.namespace': 'namespace', 'source.serviceAccount': 'serviceAccount', source: 'namespace', target: 'scope', user: 'user', reason: 'reason', name: 'name' };

/** The form field an API refusal is about: the body's `field`, or the name for the 404 of a name that cannot be one. */
export function problemField(problem: { status: number; code?: string; field?: string }): ExceptionField | undefined {
  if (problem.field !== undefined) return FIELDS[problem.field];
  if (problem.status === 404 && problem.code === 'not-found') return 'name';
  return undefined;
}

/** The message for a field without its "field: " prefix, which the label already says. */
export const fieldMessage = (message: string, field: string | undefined) => (field && message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message);
