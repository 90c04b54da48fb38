import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VirtualService } from '@/lib/kube/virtualservices';
import { gateway, hubRoute, NS, prefixRule, snapshot, virtualService } from '@/lib/mesh/checkers/test-fixtures';
import { runValidations } from '@/lib/mesh/validations';
import { Oracle, oracleBinary, type OracleRequest, type OracleResult } from './oracle/client';
import { objectsYaml, serviceObjects } from './oracle/routing-case';

/**
 * Every routing code of the validations catalogue (HM1001-HM1005) against Istio's own verdict: the same
 * objects go to hubmesh's checker and to istiod's config generator (istio-oracle), and what the finding
 * says happens must be what Istio does, and a clean report must mean Istio routes as the hub meant.
 */
const HOST = 'hub.example.org';
const services = serviceObjects(NS, ['http://svc:8888', 'http://other:80', 'http://alice:8888', 'http://lab2:8888', 'http://hub:8081']);

function ask(path: string): OracleRequest {
  return { host: HOST, path };
}

describe('routing validations agree with Istio (istio-oracle)', () => {
  let oracle: Oracle;

  beforeAll(() => {
    oracle = new Oracle(oracleBinary());
  });

  afterAll(() => oracle?.close());

  /** The catalogue's routing codes for these objects, and Istio's answer to each request. */
  async function judge(virtualServices: VirtualService[], requests: OracleRequest[], gateways = [gateway('jupyterhub-gateway')]) {
    const report = runValidations(snapshot({ virtualServices, gateways }));
    const codes = report.findings.filter((f) => f.code.startsWith('HM1')).map((f) => `${f.code} ${f.object.name}`);
    const verdict = await oracle.judge({ objects: objectsYaml([...gateways.map((g) => ({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', ...g })), ...services, ...virtualServices.map((vs) => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', ...vs }))]), requests });
    expect(verdict.error).toBe('');
    return { codes, verdict, at: (i: number): OracleResult => verdict.results[i]! };
  }

  const to = (service: string, port: number) => `outbound|${port}||${service}.${NS}.svc.cluster.local`;

  it('HM1001: a binding to a missing Gateway serves nothing, and Istio says so too (IST0101)', async () => {
    const route = hubRoute('/user/alice', { service: 'alice', created: 1 });
    route.spec.gateways = [`${NS}/no-such-gateway`];
    const { codes, verdict, at } = await judge([route], [ask('/user/alice/x')]);
    expect(codes).toEqual([`HM1001 ${route.metadata.name}`]);
    expect(at(0).outcome).toBe('no-route');
    expect(verdict.messages.map((m) => m.code)).toContain('IST0101');
  });

  it('HM1002: of two VirtualServices with the same match, the younger one never gets a request', async () => {
    const older = virtualService('older', [prefixRule('/docs/', `other.${NS}.svc.cluster.local`)], { created: 1 });
    const younger = virtualService('younger', [prefixRule('/docs/', `svc.${NS}.svc.cluster.local`)], { created: 5 });
    older.spec.http![0]!.route![0]!.destination.port = { number: 80 };
    younger.spec.http![0]!.route![0]!.destination.port = { number: 8888 };
    const { codes, at } = await judge([older, younger], [ask('/docs/x')]);
    expect(codes).toEqual(['HM1002 younger']);
    expect(at(0).cluster).toBe(to('other', 80));
  });

  it('HM1003 and HM1004: another VirtualService takes a hub route now, or will once the route is re-created', async () => {
    const foreign = (created: number) => {
      const vs = virtualService('users', [prefixRule('/user/', `other.${NS}.svc.cluster.local`)], { created });
      vs.spec.http![0]!.route![0]!.destination.port = { number: 80 };
      return vs;
    };
    const now = await judge([foreign(1), hubRoute('/user/alice', { service: 'alice', created: 5 })], [ask('/user/alice/x')]);
    expect(now.codes).toEqual(['HM1003 users']);
    expect(now.at(0).cluster).toBe(to('other', 80));

    const route = hubRoute('/user/alice', { service: 'alice', created: 1 });
    const later = await judge([foreign(5), route], [ask('/user/alice/x')]);
    expect(later.codes).toEqual(['HM1004 users']);
    expect(later.at(0).cluster).toBe(to('alice', 8888));
    // what HM1004 warns of: the hub re-creates the route (a server restart), and it is younger than the other
    const recreated = await judge([foreign(5), hubRoute('/user/alice', { service: 'alice', created: 9 })], [ask('/user/alice/x')]);
    expect(recreated.at(0).cluster).toBe(to('other', 80));
  });

  it('HM1005: an old rendering of /user/alice takes its named server, and the current one does not', async () => {
    const lab2 = hubRoute('/user/alice/lab2', { service: 'lab2', created: 5 });
    const old = hubRoute('/user/alice', { service: 'alice', created: 1 });
    const broken = await judge([old, lab2], [ask('/user/alice/lab2/x')]);
    expect(broken.codes).toEqual([`HM1005 ${old.metadata.name}`]);
    expect(broken.at(0).cluster).toBe(to('alice', 8888));

    const current = { ...old, spec: { ...old.spec, http: [...lab2.spec.http!, ...old.spec.http!] } };
    const fixed = await judge([current, lab2], [ask('/user/alice/lab2/x'), ask('/user/alice/x')]);
    expect(fixed.codes).toEqual([]);
    expect(fixed.at(0).cluster).toBe(to('lab2', 8888));
    expect(fixed.at(1).cluster).toBe(to('alice', 8888));
  });
});
