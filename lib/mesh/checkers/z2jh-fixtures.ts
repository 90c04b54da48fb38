/**
 * Zero to JupyterHub's NetworkPolicies and pods, as its chart renders them, for the NetworkPolicy checkers' tests
 * (and the integration test, which creates them on a real apiserver).
 *
 * Rendered by hand from jupyterhub/zero-to-jupyterhub-k8s: templates/hub/netpol.yaml, templates/singleuser/netpol.yaml,
 * templates/proxy/netpol.yaml and the egress rules of templates/_helpers-netpol.tpl, with values.yaml's defaults
 * (every networkPolicy enabled, ingress/egress [], interNamespaceAccessLabels ignore, proxy allowedIngressPorts
 * [http, https], egressAllowRules all true except singleuser's cloudMetadataServer and privateIPs,
 * singleuser.cloudMetadata.ip 169.254.169.254, proxy.https disabled), fullnameOverride "" (so the objects are
 * named hub, singleuser and proxy), and the release named `release`. `values` adds what a user's z2jh values
 * would: the `ingress` and `egress` lists and the egressAllowRules switches.
 */
import type { NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer } from '../../kube/networkpolicies';
import type { Pod } from '../../kube/pods';
import type { Service } from '../../kube/services';

export const Z2JH_CHART = 'jupyterhub-4.2.0';

type EgressAllowRules = {
  cloudMetadataServer: boolean;
  dnsPortsCloudMetadataServer: boolean;
  dnsPortsKubeSystemNamespace: boolean;
  dnsPortsPrivateIPs: boolean;
  nonPrivateIPs: boolean;
  privateIPs: boolean;
};

export type Z2jhNetworkPolicyValues = {
  ingress?: NetworkPolicyIngressRule[];
  egress?: NetworkPolicyEgressRule[];
  egressAllowRules?: Partial<EgressAllowRules>;
};

export type Z2jhOptions = { namespace: string; release?: string; hub?: Z2jhNetworkPolicyValues; singleuser?: Z2jhNetworkPolicyValues; proxy?: Z2jhNetworkPolicyValues };

const ALL_EGRESS: EgressAllowRules = {
  cloudMetadataServer: true,
  dnsPortsCloudMetadataServer: true,
  dnsPortsKubeSystemNamespace: true,
  dnsPortsPrivateIPs: true,
  nonPrivateIPs: true,
  privateIPs: true,
};
/** singleuser.networkPolicy.egressAllowRules in values.yaml: notebooks may not reach private addresses or the metadata server */
const SINGLEUSER_EGRESS: EgressAllowRules = { ...ALL_EGRESS, cloudMetadataServer: false, privateIPs: false };

const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];
const METADATA_IP = '169.254.169.254';

/** "jupyterhub.labels" for an object of a component (the template's directory name) */
function objectLabels(component: string, release: string): Record<string, string> {
  return {
    component,
    'app.kubernetes.io/component': component,
    app: 'jupyterhub',
    release,
    chart: Z2JH_CHART,
    heritage: 'Helm',
    'app.kubernetes.io/name': 'jupyterhub',
    'app.kubernetes.io/instance': release,
    'helm.sh/chart': Z2JH_CHART,
    'app.kubernetes.io/managed-by': 'Helm',
  };
}

/** "jupyterhub.matchLabels": the legacy labels only */
export const z2jhMatchLabels = (component: string, release = 'jupyterhub') => ({ component, app: 'jupyterhub', release });

/** templates/_helpers-netpol.tpl "jupyterhub.networkPolicy.renderEgressRules" */
function renderEgressRules(rules: EgressAllowRules, extra: NetworkPolicyEgressRule[] = []): NetworkPolicyEgressRule[] {
  const out: NetworkPolicyEgressRule[] = [];
  if (rules.dnsPortsCloudMetadataServer || rules.dnsPortsKubeSystemNamespace || rules.dnsPortsPrivateIPs) {
    out.push({
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
      to: [
        ...(rules.dnsPortsCloudMetadataServer ? [{ ipBlock: { cidr: `${METADATA_IP}/32` } }] : []),
        ...(rules.dnsPortsKubeSystemNamespace ? [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }] : []),
        ...(rules.dnsPortsPrivateIPs ? PRIVATE.map((cidr) => ({ ipBlock: { cidr } })) : []),
      ],
    });
  }
  if (rules.nonPrivateIPs) out.push({ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: [...PRIVATE, `${METADATA_IP}/32`] } }] });
  if (rules.privateIPs) out.push({ to: PRIVATE.map((cidr) => ({ ipBlock: { cidr } })) });
  if (rules.cloudMetadataServer) out.push({ to: [{ ipBlock: { cidr: `${METADATA_IP}/32` } }] });
  return [...out, ...extra];
}

/** z2jh's "source 1 - labeled pods" peer (interNamespaceAccessLabels=ignore: pods of the release's namespace only) */
const accessLabelled = (label: string): NetworkPolicyPeer => ({ podSelector: { matchLabels: { [`hub.jupyter.org/network-access-${label}`]: 'true' } } });

const to = (component: string, release: string, ports: number[]): NetworkPolicyEgressRule => ({
  to: [{ podSelector: { matchLabels: z2jhMatchLabels(component, release) } }],
  ports: ports.map((port) => ({ port })),
});

function netpol(name: string, component: string, podComponent: string, options: Z2jhOptions, spec: { ingress: NetworkPolicyIngressRule[]; egress: NetworkPolicyEgressRule[] }): NetworkPolicy {
  const release = options.release ?? 'jupyterhub';
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: options.namespace, labels: objectLabels(component, release) },
    spec: { podSelector: { matchLabels: z2jhMatchLabels(podComponent, release) }, policyTypes: ['Ingress', 'Egress'], ...spec },
  };
}

/** templates/singleuser/netpol.yaml */
export function z2jhSingleuserPolicy(options: Z2jhOptions, name = 'singleuser'): NetworkPolicy {
  const release = options.release ?? 'jupyterhub';
  const values = options.singleuser ?? {};
  return netpol(name, 'singleuser', 'singleuser-server', options, {
    ingress: [{ ports: [{ port: 'notebook-port' }], from: [accessLabelled('singleuser')] }, ...(values.ingress ?? [])],
    egress: [
      to('hub', release, [8081]),
      to('proxy', release, [8000]),
      to('autohttps', release, [8080, 8443]),
      ...renderEgressRules({ ...SINGLEUSER_EGRESS, ...values.egressAllowRules }, values.egress),
    ],
  });
}

/** templates/hub/netpol.yaml */
export function z2jhHubPolicy(options: Z2jhOptions, name = 'hub'): NetworkPolicy {
  const release = options.release ?? 'jupyterhub';
  const values = options.hub ?? {};
  return netpol(name, 'hub', 'hub', options, {
    ingress: [{ ports: [{ port: 'http' }], from: [accessLabelled('hub')] }, ...(values.ingress ?? [])],
    egress: [to('proxy', release, [8001]), to('singleuser-server', release, [8888]), ...renderEgressRules({ ...ALL_EGRESS, ...values.egressAllowRules }, values.egress)],
  });
}

/** templates/proxy/netpol.yaml (proxy.chp.networkPolicy) */
export function z2jhProxyPolicy(options: Z2jhOptions, name = 'proxy'): NetworkPolicy {
  const release = options.release ?? 'jupyterhub';
  const values = options.proxy ?? {};
  return netpol(name, 'proxy', 'proxy', options, {
    ingress: [
      // allowedIngressPorts: [http, https]
      { ports: [{ port: 'http' }, { port: 'https' }] },
      { ports: [{ port: 'http' }], from: [accessLabelled('proxy-http')] },
      { ports: [{ port: 'api' }], from: [accessLabelled('proxy-api')] },
      ...(values.ingress ?? []),
    ],
    egress: [to('hub', release, [8081]), to('singleuser-server', release, [8888]), ...renderEgressRules({ ...ALL_EGRESS, ...values.egressAllowRules }, values.egress)],
  });
}

/** All three, as `helm install` with default values creates them. */
export const z2jhPolicies = (options: Z2jhOptions) => [z2jhHubPolicy(options), z2jhProxyPolicy(options), z2jhSingleuserPolicy(options)];

/**
 * The rules docs/z2jh.md adds for Istio: the ingress gateway (istio=ingressgateway in istio-system) may reach the
 * hub's and the notebooks' serving ports, and notebooks may reach istiod's xDS port.
 */
export const gatewayIngress = (port: string, gatewayNamespace = 'istio-system', labels: Record<string, string> = { istio: 'ingressgateway' }): NetworkPolicyIngressRule => ({
  from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': gatewayNamespace } }, podSelector: { matchLabels: labels } }],
  ports: [{ port }],
});
export const istiodEgress = (rootNamespace = 'istio-system'): NetworkPolicyEgressRule => ({
  to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': rootNamespace } }, podSelector: { matchLabels: { app: 'istiod' } } }],
  ports: [{ port: 15012, protocol: 'TCP' }],
});

const istioProxy = { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.28.1', ports: [{ name: 'http-envoy-prom', containerPort: 15090 }] };

/** A notebook pod as KubeSpawner makes it under z2jh (common labels, singleuser.extraLabels, port notebook-port 8888). */
export function z2jhNotebookPod(user: string, options: { namespace: string; release?: string; sidecar?: boolean; name?: string }): Pod {
  return {
    metadata: {
      name: options.name ?? `jupyter-${user}`,
      namespace: options.namespace,
      labels: {
        ...z2jhMatchLabels('singleuser-server', options.release),
        heritage: 'jupyterhub',
        'hub.jupyter.org/network-access-hub': 'true',
        'hub.jupyter.org/servername': '',
        'hub.jupyter.org/username': user,
      },
    },
    spec: { containers: [{ name: 'notebook', image: 'quay.io/jupyter/base-notebook', ports: [{ name: 'notebook-port', containerPort: 8888 }] }, ...(options.sidecar === false ? [] : [istioProxy])] },
    status: { phase: 'Running', podIP: '10.244.1.10' },
  };
}

/** The Service KubeSpawner makes for a server (services_enabled), port `http` 8888. */
export function z2jhNotebookService(user: string, options: { namespace: string; name?: string }): Service {
  return {
    metadata: { name: options.name ?? `jupyter-${user}`, namespace: options.namespace },
    spec: { selector: { component: 'singleuser-server', 'hub.jupyter.org/username': user }, ports: [{ name: 'http', port: 8888, targetPort: 8888 }] },
  };
}

/** templates/hub/deployment.yaml's pod: port http 8081, and the access labels of the hub. */
export function z2jhHubPod(options: { namespace: string; release?: string; name?: string }): Pod {
  return {
    metadata: {
      name: options.name ?? 'hub-7d9f8c6b5-x2x7q',
      namespace: options.namespace,
      labels: {
        ...z2jhMatchLabels('hub', options.release),
        'hub.jupyter.org/network-access-proxy-api': 'true',
        'hub.jupyter.org/network-access-proxy-http': 'true',
        'hub.jupyter.org/network-access-singleuser': 'true',
      },
    },
    spec: { containers: [{ name: 'hub', image: 'quay.io/jupyterhub/k8s-hub', ports: [{ name: 'http', containerPort: 8081 }] }, istioProxy] },
    status: { phase: 'Running', podIP: '10.244.1.11' },
  };
}

/** templates/hub/service.yaml: port 8081 to the pod's `http`. */
export const z2jhHubService = (namespace: string, release = 'jupyterhub'): Service => ({
  metadata: { name: 'hub', namespace },
  spec: { selector: z2jhMatchLabels('hub', release), ports: [{ name: 'hub', port: 8081, targetPort: 'http' }] },
});

/** templates/proxy/deployment.yaml's pod: configurable-http-proxy, which hubmesh replaces (z2jh runs it anyway). */
export function z2jhProxyPod(options: { namespace: string; release?: string; name?: string }): Pod {
  return {
    metadata: {
      name: options.name ?? 'proxy-5b6c7d8f9-q4m2z',
      namespace: options.namespace,
      labels: { ...z2jhMatchLabels('proxy', options.release), 'hub.jupyter.org/network-access-hub': 'true', 'hub.jupyter.org/network-access-singleuser': 'true' },
    },
    spec: {
      containers: [
        {
          name: 'chp',
          image: 'quay.io/jupyterhub/configurable-http-proxy:5.3.0',
          ports: [
            { name: 'http', containerPort: 8000 },
            { name: 'api', containerPort: 8001 },
          ],
        },
      ],
    },
    status: { phase: 'Running', podIP: '10.244.1.12' },
  };
}
