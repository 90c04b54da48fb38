import { describe, expect, it } from 'vitest';
import { diagnoseUrl, objectHref, probeSentence, probeUrl, serverLabel, serverPageUrl, STATUS_LOOK } from './diagnosis-format';

const probe = { url: 'http://gw/user/a/', host: 'hub.example.org', expectedRoute: 'hubmesh-user-a-1', at: '2026-12-01T10:00:00.000Z', timeMs: 12 };

describe('diagnosis format', () => {
  it('gives every status a word and an icon besides its colour', () => {
    expect(Object.values(STATUS_LOOK).map((l) => `${l.icon} ${l.word}`)).toEqual(['✓ Pass', '✗ Fail', '! Warning', '? Unknown']);
  });

  it('builds the URLs of a user server, escaping names', () => {
    expect(diagnoseUrl('a@b c', '')).toBe('/api/v1/users/a%40b%20c/diagnose?server=');
    expect(probeUrl('alice', 'lab 2')).toBe('/api/v1/users/alice/probe?server=lab%202');
    expect(serverPageUrl('alice', '')).toBe('/users/alice');
    expect(serverPageUrl('alice', 'lab2')).toBe('/users/alice?server=lab2');
    expect(serverLabel('')).toBe('default');
  });

  it('links objects to the page that shows them', () => {
    expect(objectHref({ kind: 'VirtualService', namespace: 'hub', name: 'hubmesh-user-a' })).toBe('/routes?q=hubmesh-user-a');
    expect(objectHref({ kind: 'Pod', namespace: 'hub', name: 'jupyter-a' })).toBe('/pods?q=jupyter-a');
    expect(objectHref({ kind: 'AuthorizationPolicy', namespace: 'hub', name: 'x' })).toBe('/isolation');
    expect(objectHref({ kind: 'Gateway', namespace: 'hub', name: 'x' })).toBeUndefined();
  });

  it('says what a probe saw', () => {
    expect(probeSentence({ ...probe, status: 302, routeHeader: 'hubmesh-user-a-1', matches: true })).toBe("HTTP 302 in 12 ms, served by hubmesh-user-a-1, the server's route.");
    expect(probeSentence({ ...probe, status: 200, routeHeader: 'grafana', matches: false })).toBe("HTTP 200 in 12 ms, served by grafana, not by the server's route hubmesh-user-a-1.");
    expect(probeSentence({ ...probe, status: 404, routeHeader: null, matches: false })).toBe('HTTP 404 in 12 ms, without an x-hubmesh-route header: no hub route served it (expected hubmesh-user-a-1).');
    expect(probeSentence({ ...probe, status: null, routeHeader: null, matches: false, error: 'the gateway could not be reached: ECONNREFUSED' })).toBe('No answer: the gateway could not be reached: ECONNREFUSED.');
  });
});
