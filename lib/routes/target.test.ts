import { describe, expect, it } from 'vitest';
import { parseTarget } from './target';

const parse = (t: string) => parseTarget(t, 'jupyterhub', 'cluster.local');

describe('parseTarget', () => {
  it.each([
    ['http://hub:8081', 'hub.jupyterhub.svc.cluster.local', 8081],
    ['http://jupyter-alice.other:8888', 'jupyter-alice.other.svc.cluster.local', 8888],
    ['http://jupyter-alice.other.svc:8888', 'jupyter-alice.other.svc.cluster.local', 8888],
    ['http://jupyter-alice.other.svc.cluster.local:8888', 'jupyter-alice.other.svc.cluster.local', 8888],
    ['http://jupyter-alice.other.svc.cluster.local.:8888/', 'jupyter-alice.other.svc.cluster.local', 8888],
    ['http://HUB:8081', 'hub.jupyterhub.svc.cluster.local', 8081],
    ['http://hub', 'hub.jupyterhub.svc.cluster.local', 80],
    ['https://hub', 'hub.jupyterhub.svc.cluster.local', 443],
    ['http://notebooks.example.org:8000', 'notebooks.example.org', 8000],
  ])('%s → %s:%d', (target, host, port) => {
    expect(parse(target)).toEqual({ ok: true, target: { kind: 'host', host, port, scheme: target.startsWith('https') ? 'https' : 'http' } });
  });

  it('returns IP addresses for resolution', () => {
    expect(parse('http://10.244.0.7:8888')).toEqual({ ok: true, target: { kind: 'ip', ip: '10.244.0.7', port: 8888, scheme: 'http' } });
    expect(parse('http://[fd00::7]:8888')).toEqual({ ok: true, target: { kind: 'ip', ip: 'fd00::7', port: 8888, scheme: 'http' } });
  });

  it.each([
    ['hub:8081', /not a URL|must use http/],
    ['not a url', /not a URL/],
    ['ftp://hub:21', /must use http or https/],
    ['http://hub:8081/?x=1', /must not have a query or fragment/],
    ['http://hub:8081/test#top', /must not have a query or fragment/],
    ['http://hub:8081/test?', /must not have a query or fragment/],
    ['http://user:pw@hub:8081', /must not carry credentials/],
  ])('refuses %s', (target, message) => {
    const result = parse(target);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(message);
  });

  it('accepts a path, which CHP puts before the request path (the renderer rewrites to it)', () => {
    expect(parse('http://localhost:9999/test')).toEqual({ ok: true, target: { kind: 'host', host: 'localhost.jupyterhub.svc.cluster.local', port: 9999, scheme: 'http' } });
    expect(parse('http://hub:8081/has%20space/')).toMatchObject({ ok: true, target: { host: 'hub.jupyterhub.svc.cluster.local' } });
  });

  it('follows the configured cluster domain', () => {
    expect(parseTarget('http://hub:8081', 'hub-ns', 'corp.internal')).toMatchObject({ target: { host: 'hub.hub-ns.svc.corp.internal' } });
  });
});
