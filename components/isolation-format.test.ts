import { describe, expect, it } from 'vitest';
import type { Access } from '@/lib/mesh/authz/isolation';
import type { Flow } from '@/lib/mesh/authz/traffic';
import {
  accessTone,
  allowedText,
  decidedBy,
  decidedByText,
  exceptionInto,
  exceptionRequest,
  EMPTY_EXCEPTION,
  fieldMessage,
  flowAmounts,
  flowEnd,
  groupCaptions,
  identitySource,
  objectHref,
  orderGroups,
  otherFlows,
  problemField,
  sentence,
  targetWords,
  verdictChecks,
} from './isolation-format';

const ns = 'jupyterhub';
const ref = (name: string, namespace = ns) => ({ kind: 'AuthorizationPolicy' as const, namespace, name });
const access = (over: Partial<Access>): Access => ({ probe: 'p', intended: false, allowed: false, decidedBy: 'no-allow-match', policies: [], custom: [], unknowns: [], ...over });

describe('decided by', () => {
  it('names the policies that decided, with the namespace only when it is not the hub namespace', () => {
    expect(decidedByText(access({ decidedBy: 'allow-policy', allowed: true, policies: [ref('hub-isolate-notebooks'), ref('mesh-wide', 'istio-system')] }), ns)).toBe(
      'hub-isolate-notebooks, istio-system/mesh-wide',
    );
    expect(decidedByText(access({ decidedBy: 'deny-policy', policies: [ref('deny-all')] }), ns)).toBe('denied by deny-all');
  });

  it('says when no ALLOW policy applies or matches, and when STRICT mTLS refused plaintext first', () => {
    expect(decidedByText(access({ decidedBy: 'no-allow-policies', allowed: true }), ns)).toBe('no ALLOW policy applies');
    expect(decidedByText(access({ decidedBy: 'no-allow-match', policies: [ref('hub-isolate-hub')] }), ns)).toBe('no ALLOW policy matches (hub-isolate-hub)');
    expect(decidedByText(access({ decidedBy: 'no-allow-match' }), ns)).toBe('no ALLOW policy matches');
    expect(decidedByText(access({ decidedBy: 'mtls-strict' }), ns)).toBe('mTLS STRICT refuses plaintext');
  });

  it('adds what configuration cannot tell and the CUSTOM authorizers asked first', () => {
    const d = decidedBy(access({ decidedBy: 'allow-policy', allowed: 'unknown', policies: [ref('a')], unknowns: ['the source IP'], custom: [ref('ext-authz')] }));
    expect(d.notes).toEqual(['depends on the source IP', 'CUSTOM ext-authz asked first']);
    expect(decidedByText(access({ decidedBy: 'allow-policy', allowed: 'unknown', policies: [ref('a')], unknowns: ['the source IP'] }), ns)).toBe('a; depends on the source IP');
  });
});

describe('access rows', () => {
  it('read Allowed, Denied or Unknown', () => {
    expect([true, false, 'unknown' as const].map(allowedText)).toEqual(['Allowed', 'Denied', 'Unknown']);
  });

  it('are red when reachable but not intended, amber when intended but not surely reachable', () => {
    expect(accessTone({ intended: false, allowed: true })).toBe('bad');
    expect(accessTone({ intended: false, allowed: 'unknown' })).toBe('bad');
    expect(accessTone({ intended: false, allowed: false })).toBeUndefined();
    expect(accessTone({ intended: true, allowed: false })).toBe('warn');
    expect(accessTone({ intended: true, allowed: 'unknown' })).toBe('warn');
    expect(accessTone({ intended: true, allowed: true })).toBeUndefined();
  });
});

describe('target groups', () => {
  const group = (target: 'notebook' | 'hub' | 'hubmesh-proxy-api' | 'hubmesh-console', users: string[] = [], pods: string[] = []) => ({ target, users, pods });

  it('are ordered notebooks, hub, proxy API, console', () => {
    expect(orderGroups([group('hubmesh-console'), group('hub'), group('notebook', ['a']), group('hubmesh-proxy-api'), group('notebook', ['b'])]).map((g) => `${g.target}${g.users.join('')}`)).toEqual([
      'notebooka',
      'notebookb',
      'hub',
      'hubmesh-proxy-api',
      'hubmesh-console',
    ]);
  });

  it('are named by their users, at most three of them', () => {
    expect(targetWords(group('notebook', ['alice', 'bob']))).toBe('the notebooks of alice and bob');
    expect(targetWords(group('notebook', ['alice', 'bob', 'carol', 'dave', 'erin']))).toBe('the notebooks of alice, bob, carol and 2 more');
    expect(targetWords(group('notebook', [], ['jupyter-x']))).toBe('notebook pods jupyter-x');
    expect(targetWords(group('hubmesh-proxy-api'))).toBe("hubmesh's proxy API");
  });

  it('get captions that tell apart groups of the same words', () => {
    expect(groupCaptions([group('notebook', ['alice', 'bob']), group('hub', [], ['hub-1']), group('hub', [], ['hub-2'])])).toEqual([
      'Who may reach the notebooks of alice and bob',
      'Who may reach the hub (pods hub-1)',
      'Who may reach the hub (pods hub-2)',
    ]);
  });
});

describe('the verdict', () => {
  it('has three checks, traffic unknown without telemetry', () => {
    expect(verdictChecks({ configuration: true, traffic: undefined, pods: false }).map((c) => `${c.label}: ${c.text} (${c.tone})`)).toEqual([
      'Configuration: forbids every unintended path (ok)',
      'Traffic: unknown without Prometheus (warn)',
      'Pods: pods without a ready sidecar (bad)',
    ]);
    expect(verdictChecks({ configuration: false, traffic: false, pods: true }).map((c) => c.tone)).toEqual(['bad', 'bad', 'ok']);
  });

  it('ends each reason with a full stop and keeps its words', () => {
    expect(sentence("alice's notebook sent 3 requests")).toBe("alice's notebook sent 3 requests.");
    expect(sentence('done.')).toBe('done.');
  });

  it('links notebook pods to the pods page and policies to the list on the page, and nothing else', () => {
    const known = { notebookPods: new Set(['jupyter-alice']), policies: new Set([`${ns}/hub-isolate-hub`]) };
    expect(objectHref({ kind: 'Pod', namespace: ns, name: 'jupyter-alice' }, known)).toBe('/pods?q=jupyter-alice');
    expect(objectHref({ kind: 'Pod', namespace: ns, name: 'hub-0' }, known)).toBeUndefined();
    expect(objectHref(ref('hub-isolate-hub'), known)).toBe(`#policy-${ns}-hub-isolate-hub`);
    expect(objectHref(ref('gone'), known)).toBeUndefined();
  });
});

describe('identities and traffic', () => {
  it('say where an identity was read', () => {
    expect(identitySource({ pods: ['hub-1'], serviceAccount: 'hub' })).toBe('read from pod hub-1 (service account hub)');
    expect(identitySource({ pods: ['a', 'b', 'c', 'd'], serviceAccount: 'default' })).toBe('read from pods a, b, c and 1 more (service account default)');
  });

  const flow = (source: Flow['source'], destination: Flow['destination'], requests = 0, connections = 0, denied = 0): Flow => ({ source, destination, requests, connections, denied });

  it('name notebooks by their users and count requests, 403s and connections', () => {
    expect(flowEnd({ namespace: ns, workload: 'jupyter-alice', user: 'alice', server: '' })).toBe("alice's notebook (jupyter-alice)");
    expect(flowEnd({ namespace: 'grading', workload: 'grader' })).toBe('grading/grader');
    expect(flowAmounts({ requests: 12.4, denied: 3, connections: 1 })).toBe('12 requests (3 answered 403), 1 TCP connection');
    expect(flowAmounts({ requests: 1, denied: 0, connections: 0 })).toBe('1 request');
  });

  it('leave the notebook-to-notebook flows out of the others', () => {
    const n2n = flow({ namespace: ns, workload: 'jupyter-a', user: 'a' }, { namespace: ns, workload: 'jupyter-b', user: 'b' }, 5);
    const other = flow({ namespace: 'istio-system', workload: 'gw', principal: 'cluster.local/ns/istio-system/sa/gw' }, { namespace: ns, workload: 'jupyter-b', user: 'b' }, 9);
    expect(otherFlows([other, { ...n2n }], [n2n])).toEqual([other]);
  });
});

describe('exceptions', () => {
  it('say into what', () => {
    expect(exceptionInto({ target: 'hub' })).toBe('the hub');
    expect(exceptionInto({ target: 'notebooks' })).toBe('every notebook');
    expect(exceptionInto({ target: 'notebooks', user: 'alice' })).toBe("alice's notebooks");
  });

  it('are sent as the API takes them, the user only for one user', () => {
    const draft = { ...EMPTY_EXCEPTION, name: 'grader', namespace: 'grading', serviceAccount: 'nbgrader', user: 'alice', reason: 'collects assignments' };
    expect(exceptionRequest(draft)).toEqual({
      url: '/api/v1/mesh/isolation/exceptions/grader',
      body: { source: { namespace: 'grading', serviceAccount: 'nbgrader' }, target: 'notebooks', reason: 'collects assignments' },
    });
    expect(exceptionRequest({ ...draft, scope: 'user' }).body).toMatchObject({ target: 'notebooks', user: 'alice' });
    expect(exceptionRequest({ ...draft, scope: 'hub' }).body).toMatchObject({ target: 'hub' });
    expect(exceptionRequest({ ...draft, name: 'a b' }).url).toBe('/api/v1/mesh/isolation/exceptions/a%20b');
  });

  it("put an API refusal next to its field, a bad name's 404 included", () => {
    expect(problemField({ status: 400, code: 'invalid-input', field: 'source.serviceAccount' })).toBe('serviceAccount');
    expect(problemField({ status: 400, code: 'invalid-input', field: 'user' })).toBe('user');
    expect(problemField({ status: 404, code: 'not-found' })).toBe('name');
    expect(problemField({ status: 409, code: 'takeover-required' })).toBeUndefined();
    expect(fieldMessage('reason: say why this identity is let in', 'reason')).toBe('say why this identity is let in');
    expect(fieldMessage('something else', 'reason')).toBe('something else');
  });
});
