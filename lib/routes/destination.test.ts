import { describe, expect, it } from 'vitest';
import type { Pod } from '../kube/pods';
import type { Service, ServicePort } from '../kube/services';
import { destinationForIp } from './destination';

const pod = (name: string, ip: string, labels: Record<string, string>, phase = 'Running'): Pod => ({
  metadata: { name, namespace: 'jupyterhub', labels },
  spec: { containers: [{ name: 'notebook', ports: [{ name: 'notebook-port', containerPort: 8888 }] }] },
  status: { phase, podIP: ip },
});
const service = (name: string, selector: Record<string, string> | undefined, ports: ServicePort[], clusterIP = 'None'): Service => ({
  metadata: { name, namespace: 'jupyterhub' },
  spec: { selector, ports, clusterIP },
});
const find = (ip: string, port: number, pods: Pod[], services: Service[]) => destinationForIp(ip, port, pods, services, 'cluster.local');

describe('destinationForIp', () => {
  const alice = pod('jupyter-alice', '10.244.0.7', { 'hub.jupyter.org/username': 'alice', component: 'singleuser-server' });

  it('finds the Service selecting the pod with a port reaching the target port', () => {
    const services = [
      service('unrelated', { app: 'x' }, [{ name: 'http', port: 80, targetPort: 8888 }]),
      service('jupyter-alice', { 'hub.jupyter.org/username': 'alice' }, [{ name: 'http', port: 80, targetPort: 8888 }]),
    ];
    expect(find('10.244.0.7', 8888, [alice], services)).toEqual({ host: 'jupyter-alice.jupyterhub.svc.cluster.local', port: 80 });
  });

  it('follows named target ports and ports without targetPort', () => {
    expect(find('10.244.0.7', 8888, [alice], [service('named', { component: 'singleuser-server' }, [{ port: 8080, targetPort: 'notebook-port' }])])).toEqual({
      host: 'named.jupyterhub.svc.cluster.local',
      port: 8080,
    });
    expect(find('10.244.0.7', 8888, [alice], [service('same', { component: 'singleuser-server' }, [{ port: 8888 }])])).toEqual({
      host: 'same.jupyterhub.svc.cluster.local',
      port: 8888,
    });
  });

  it('prefers the port named http and is deterministic across matching Services', () => {
    const services = [
      service('b-svc', { component: 'singleuser-server' }, [{ name: 'metrics', port: 9000, targetPort: 8888 }, { name: 'http', port: 80, targetPort: 8888 }]),
      service('a-svc', { component: 'singleuser-server' }, [{ name: 'web', port: 81, targetPort: 8888 }]),
    ];
    expect(find('10.244.0.7', 8888, [alice], services)).toEqual({ host: 'a-svc.jupyterhub.svc.cluster.local', port: 81 });
    expect(find('10.244.0.7', 8888, [alice], [services[0]!])).toEqual({ host: 'b-svc.jupyterhub.svc.cluster.local', port: 80 });
  });

  it('treats a Service cluster IP as that Service', () => {
    expect(find('10.96.0.20', 8081, [], [service('hub', { component: 'hub' }, [{ port: 8081 }], '10.96.0.20')])).toEqual({
      host: 'hub.jupyterhub.svc.cluster.local',
      port: 8081,
    });
  });

  it('finds nothing for an unknown IP, a finished pod, a wrong port or a selector-less Service', () => {
    const svc = service('jupyter-alice', { 'hub.jupyter.org/username': 'alice' }, [{ name: 'http', port: 80, targetPort: 8888 }]);
    expect(find('10.244.0.99', 8888, [alice], [svc])).toBeUndefined();
    expect(find('10.244.0.7', 8888, [pod('old', '10.244.0.7', alice.metadata.labels!, 'Succeeded')], [svc])).toBeUndefined();
    expect(find('10.244.0.7', 9999, [alice], [svc])).toBeUndefined();
    expect(find('10.244.0.7', 8888, [alice], [service('manual', undefined, [{ port: 8888 }])])).toBeUndefined();
  });
});
