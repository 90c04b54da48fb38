import { describe, expect, it } from 'vitest';
import { hubRoute, notebookPod, pod, service } from '../mesh/checkers/test-fixtures';
import { locateServer, serverPathTail, serverWords } from './server';
import { healthySnapshot, ready, SERVICE, USER } from './test-fixtures';

describe('locateServer', () => {
  it("finds the route by the hub's data, its Service and the pod behind it", () => {
    const found = locateServer(healthySnapshot(), USER, '');
    expect(found.route?.record.path).toBe('/user/alice');
    expect(found.destination).toEqual({ host: `${SERVICE}.jupyterhub.svc.cluster.local`, port: 8888 });
    expect(found.serviceKey).toEqual({ namespace: 'jupyterhub', name: SERVICE });
    expect(found.service?.metadata.name).toBe(SERVICE);
    expect(found.pod?.metadata.name).toBe(SERVICE);
    expect(found.servers).toEqual(['']);
  });

  it("tells a user's servers apart, and lists them all", () => {
    const lab = hubRoute('/user/alice/lab2', { service: 'jupyter-alice-lab2' });
    lab.metadata.annotations!['hubmesh.io/data'] = JSON.stringify({ target: 'http://jupyter-alice-lab2:8888', user: USER, server_name: 'lab2' });
    const labPod = ready(pod('jupyter-alice-lab2', { component: 'singleuser-server', 'hub.jupyter.org/username': USER, 'hub.jupyter.org/servername': 'lab2', app: 'jupyter-alice-lab2' }));
    const snap = healthySnapshot();
    const s = { ...snap, virtualServices: [...snap.virtualServices, lab], services: [...snap.services, service('jupyter-alice-lab2')], pods: [...snap.pods, labPod] };
    const found = locateServer(s, USER, 'lab2');
    expect(found.route?.record.path).toBe('/user/alice/lab2');
    expect(found.pod?.metadata.name).toBe('jupyter-alice-lab2');
    expect(found.servers).toEqual(['', 'lab2']);
    expect(locateServer(s, USER, '').route?.record.path).toBe('/user/alice');
  });

  it("falls back to the route's path when its data names no user, and to the hub's labels for the pod", () => {
    const bare = hubRoute('/jhub/user/alice', { service: 'elsewhere' });
    const found = locateServer(healthySnapshot({ virtualServices: [bare] }), USER, '');
    expect(found.route?.object.metadata.name).toBe(bare.metadata.name);
    expect(found.service).toBeUndefined();
    expect(found.pod?.metadata.name).toBe(SERVICE);
  });

  it('finds nothing for a user without route or pod, and ignores finished pods', () => {
    const gone = locateServer(healthySnapshot({ virtualServices: [], pods: [notebookPod('jupyter-bob', 'bob', { phase: 'Succeeded' })] }), 'bob', '');
    expect(gone).toMatchObject({ route: undefined, pod: undefined, servers: [] });
  });

  it('words servers and their paths', () => {
    expect(serverWords('alice', '')).toBe("alice's default server");
    expect(serverWords('alice', 'lab2')).toBe("alice's server lab2");
    expect(serverPathTail('alice', 'lab2')).toBe('/user/alice/lab2');
  });
});
