import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clients, eventually, HUB_NAMESPACE, uniqueName } from './helpers';
import { startHubmesh, type HubmeshProcess } from './hubmesh-process';
import { startPrometheus, type PrometheusServer } from './prometheus/harness';
import { startIstioExporter, type IstioExporter } from './prometheus/exporter';

const adminToken = 'mesh-admin-token-0123456789';
const sessionSecret = 'mesh-session-secret-0123456789abcdef0';
const securityGroup = { group: 'security.istio.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'peerauthentications' };

type Session = { jar: string; csrf: string };

async function signIn(hm: HubmeshProcess): Promise<Session> {
  const r = await fetch(`${hm.url}/api/v1/session`, { method: 'POST', body: JSON.stringify({ token: adminToken }) });
  expect(r.status).toBe(200);
  const cookies = r.headers.getSetCookie();
  return { jar: cookies.map((c) => c.split(';')[0]).join('; '), csrf: cookies.find((c) => c.startsWith('hubmesh_csrf='))!.split(';')[0]!.slice('hubmesh_csrf='.length) };
}

/**
 * The console's mesh security on the real control plane, with Debian's Prometheus scraping Istio's standard
 * metrics from a test exporter: the compliance verdict and its reasons, applying STRICT through the action
 * pipeline and its audit entry, the validations catalogue, the alert rules, Prometheus going down, and
 * last_activity moving forward only for the route whose Service got requests.
 */
describe('mesh security in the console', () => {
  const { admin, adminCustom } = clients();
  const user = uniqueName('busy');
  const idleUser = uniqueName('idle');
  const prefix = `mc${uniqueName('x').slice(2)}`;
  let exporter: IstioExporter;
  let prometheus: PrometheusServer;
  let hm: HubmeshProcess;
  let session: Session;
  const api = (p: string, init: RequestInit = {}) =>
    fetch(`${hm.url}${p}`, { ...init, headers: { cookie: session.jar, 'x-csrf-token': session.csrf, ...(init.headers as Record<string, string>) } });

  beforeAll(async () => {
    const existing = await adminCustom.listNamespacedCustomObject(securityGroup);
    if ((existing as { items: unknown[] }).items.length > 0) throw new Error(`${HUB_NAMESPACE} already holds PeerAuthentications; this file applies and removes the namespace's own`);
    exporter = await startIstioExporter();
    const flow = (source: [string, string], service: string, policy: 'mutual_tls' | 'none') => ({
      source: { namespace: source[0], workload: source[1] },
      destination: { namespace: HUB_NAMESPACE, service },
      policy,
    });
    // the busy user's Service: 3 req/s over mTLS from the proxy, 1 req/s plaintext from outside the mesh → 75%
    exporter.requests(flow([HUB_NAMESPACE, 'proxy'], `jupyter-${user}`, 'mutual_tls'), 3);
    exporter.requests(flow(['default', 'curl'], `jupyter-${user}`, 'none'), 1);
    exporter.requests(flow([HUB_NAMESPACE, 'proxy'], `jupyter-${idleUser}`, 'mutual_tls'), 0);
    prometheus = await startPrometheus({ targets: [exporter.target] });
    hm = await startHubmesh({
      kubeconfig: inject('appKubeconfig'),
      prefix,
      env: { HUBMESH_ADMIN_TOKEN: adminToken, HUBMESH_SESSION_SECRET: sessionSecret, HUBMESH_PROMETHEUS_URL: prometheus.url, HUBMESH_ACTIVITY_INTERVAL_S: '2' },
    });
    session = await signIn(hm);
  });

  afterAll(async () => {
    await adminCustom.deleteNamespacedCustomObject({ ...securityGroup, name: 'default' }).catch(() => undefined);
    await admin.makeApiClient((await import('@kubernetes/client-node')).CoordinationV1Api).deleteNamespacedLease({ name: `${prefix}-last-activity`, namespace: HUB_NAMESPACE }).catch(() => undefined);
    for (const u of [user, idleUser]) await hm?.api(`/api/routes/user/${u}`, { method: 'DELETE' });
    await hm?.stop();
    await prometheus?.stop();
    await exporter?.close();
  });

  it('moves last_activity forward only for the route whose Service got requests', async () => {
    for (const u of [user, idleUser]) {
      const r = await hm.api(`/api/routes/user/${u}`, { method: 'POST', body: JSON.stringify({ target: `http://jupyter-${u}:8888`, user: u, server_name: '' }) });
      expect(r.status).toBe(201);
    }
    const lastActivity = async (u: string) => (await (await hm.api(`/api/routes/user/${u}`)).json()).last_activity as string;
    const busyBefore = await lastActivity(user);
    const idleBefore = await lastActivity(idleUser);
    const moved = await eventually(async () => {
      const now = await lastActivity(user);
      return Date.parse(now) > Date.parse(busyBefore) ? now : undefined;
    }, 'the busy route to get a newer last_activity from its traffic');
    expect(Date.parse(moved)).toBeLessThanOrEqual(Date.now());
    expect(await lastActivity(idleUser)).toBe(idleBefore);
  });

  it('says why the namespace is not compliant: not STRICT, and plaintext traffic from a named source', async () => {
    const status = await eventually(async () => {
      const body = await (await api('/api/v1/mesh?window=30s')).json();
      return body.telemetry?.state === 'ok' && body.telemetry.traffic ? body : undefined;
    }, 'traffic in the compliance answer');
    expect(status.verdict.compliant).toBe(false);
    expect(status.verdict.reasons.map((r: { code: string }) => r.code)).toEqual(expect.arrayContaining(['mtls-not-strict', 'plaintext-traffic']));
    const plaintext = status.verdict.reasons.find((r: { code: string }) => r.code === 'plaintext-traffic');
    expect(plaintext.message).toContain(`default/curl → jupyter-${user} (none)`);
    expect(plaintext.objects).toEqual([{ kind: 'Service', namespace: HUB_NAMESPACE, name: `jupyter-${user}` }]);
    expect(status.telemetry.services.find((s: { service: string }) => s.service === `jupyter-${user}`).requests.share).toBeCloseTo(0.75, 2);
    expect(status.config.namespace.server.runtimeMode).toBe('PERMISSIVE');
    expect((await api('/api/v1/mesh?window=soon')).status).toBe(400);
  });

  it('applies STRICT through preview, dry run and server-side apply, and the audit list shows who did it', async () => {
    const plan = await (await api('/api/v1/mesh/actions/peer-authentication')).json();
    expect(plan).toMatchObject({ object: { kind: 'PeerAuthentication', name: 'default', namespace: HUB_NAMESPACE }, dryRun: { accepted: true }, needsConfirmation: false });
    expect(plan.current).toBeUndefined(); // nothing written by the plan
    expect(plan.preview).toContain('mode: STRICT');
    expect((await api('/api/v1/mesh/actions/peer-authentication', { method: 'POST', body: '{}', headers: { 'x-csrf-token': 'wrong' } })).status).toBe(403);
    expect((await api('/api/v1/mesh/actions/peer-authentication', { method: 'POST', body: JSON.stringify({ confirmTakeover: 'yes' }) })).status).toBe(400);
    expect((await api('/api/v1/mesh/actions/sidecars', { method: 'POST', body: '{}' })).status).toBe(404);
    const applied = await api('/api/v1/mesh/actions/peer-authentication', { method: 'POST', body: '{}' });
    expect(applied.status).toBe(200);
    expect((await applied.json()).audit).toMatchObject({ recorded: true });
    const strict = await eventually(async () => {
      const body = await (await api('/api/v1/mesh?window=30s')).json();
      return body.config.namespace.server.runtimeMode === 'STRICT' ? body : undefined;
    }, 'the namespace to be STRICT in the compliance answer');
    expect(strict.verdict.reasons.map((r: { code: string }) => r.code)).not.toContain('mtls-not-strict');
    expect(strict.verdict.checks.strict).toBe(true);
    const audit = await (await api('/api/v1/audit')).json();
    expect(audit.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ who: 'admin', result: 'AppliedByHubmesh', object: expect.objectContaining({ kind: 'PeerAuthentication', name: 'default' }) })]),
    );
    // how far back the Events reach, and where older history is
    expect(audit).toMatchObject({ oldest: audit.items.at(-1).when, logMessage: 'hubmesh change' });
  });

  it('lists every validation code and exports alert rules that promtool accepts', async () => {
    const validations = await (await api('/api/v1/validations')).json();
    expect(validations.catalogue.length).toBeGreaterThanOrEqual(12);
    expect(validations.catalogue.every((c: { code: string }) => /^HM\d{4}$/.test(c.code))).toBe(true);
    // the busy user's route has no Service in the cluster
    expect(validations.findings).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'HM2001', message: expect.stringContaining(`jupyter-${user}`) })]));
    const ruleFile = await api('/api/v1/mesh/alerts?format=rule-file&window=5m&for=1m');
    expect(ruleFile.headers.get('content-type')).toContain('application/yaml');
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'hubmesh-rules-')), 'rules.yaml');
    writeFileSync(file, await ruleFile.text());
    const check = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(check.stdout + check.stderr).toContain('SUCCESS: 3 rules found');
    expect(check.status).toBe(0);
  });

  it('still shows the configuration when Prometheus is down, and says so', async () => {
    await prometheus.stop();
    const r = await api('/api/v1/mesh?window=30s');
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.telemetry.state).toBe('unavailable');
    expect(body.config.namespace.server.runtimeMode).toBe('STRICT');
    expect(body.verdict.reasons.map((x: { code: string }) => x.code)).toContain('telemetry-unavailable');
    expect((await api('/api/v1/mesh/history?span=10m')).status).toBe(503);
  });
});
