import { describe, expect, it } from 'vitest';
import { parseConfig } from './config';
import { ConfigError } from './config-error';

describe('parseConfig', () => {
  it('has defaults that start local mode discovery', () => {
    expect(parseConfig({})).toMatchObject({
      mode: 'auto',
      dataDir: '.hubmesh-data',
      namespace: undefined,
      kubeconfig: undefined,
      logLevel: 'info',
      logPretty: false,
    });
  });

  it('reads every variable', () => {
    expect(
      parseConfig({
        HUBMESH_MODE: 'cluster',
        HUBMESH_DATA_DIR: '/var/lib/hubmesh',
        HUBMESH_NAMESPACE: 'jupyterhub',
        KUBECONFIG: '/etc/kube/config',
        HUBMESH_LOG_LEVEL: 'debug',
        HUBMESH_LOG_PRETTY: 'true',
      }),
    ).toMatchObject({
      mode: 'cluster',
      dataDir: '/var/lib/hubmesh',
      namespace: 'jupyterhub',
      kubeconfig: '/etc/kube/config',
      logLevel: 'debug',
      logPretty: true,
    });
  });

  it('has proxy defaults that bind routes to the hub namespace gateway with no readiness wait', () => {
    expect(parseConfig({}).proxy).toEqual({
      authToken: undefined,
      devNoAuth: false,
      prefix: 'hubmesh',
      routeApi: 'virtualservice',
      gateway: undefined,
      gatewaySection: undefined,
      hosts: ['*'],
      hostRouting: false,
      clusterDomain: 'cluster.local',
      routeTimeout: undefined,
      readiness: { mode: 'none', gatewayUrl: undefined, timeoutMs: 8000 },
      maxBodyBytes: 65536,
      maxRouteDataBytes: 4096,
    });
  });

  it('reads the Gateway API route backend and its listener', () => {
    expect(parseConfig({ HUBMESH_ROUTE_API: 'httproute', HUBMESH_GATEWAY: 'istio-ingress/hub', HUBMESH_GATEWAY_SECTION: 'https' }).proxy).toMatchObject({
      routeApi: 'httproute',
      gateway: 'istio-ingress/hub',
      gatewaySection: 'https',
    });
  });

  it('reads the proxy settings', () => {
    expect(
      parseConfig({
        CONFIGPROXY_AUTH_TOKEN: 'x'.repeat(32),
        HUBMESH_PREFIX: 'blue',
        HUBMESH_GATEWAY: 'istio-system/hub-gateway',
        HUBMESH_HOSTS: 'hub.example.com, *.hub.example.com',
        HUBMESH_HOST_ROUTING: 'true',
        HUBMESH_CLUSTER_DOMAIN: 'corp.internal',
        HUBMESH_ROUTE_TIMEOUT: '3600s',
        HUBMESH_READINESS: 'gateway',
        HUBMESH_GATEWAY_URL: 'http://istio-ingressgateway.istio-system',
        HUBMESH_READINESS_TIMEOUT_MS: '5000',
        HUBMESH_MAX_BODY_BYTES: '4096',
        HUBMESH_ROUTE_DATA_MAX_BYTES: '1024',
      }).proxy,
    ).toEqual({
      authToken: 'x'.repeat(32),
      devNoAuth: false,
      prefix: 'blue',
      routeApi: 'virtualservice',
      gateway: 'istio-system/hub-gateway',
      gatewaySection: undefined,
      hosts: ['hub.example.com', '*.hub.example.com'],
      hostRouting: true,
      clusterDomain: 'corp.internal',
      routeTimeout: '3600s',
      readiness: { mode: 'gateway', gatewayUrl: 'http://istio-ingressgateway.istio-system', timeoutMs: 5000 },
      maxBodyBytes: 4096,
      maxRouteDataBytes: 1024,
    });
  });

  it('has mesh defaults: root namespace istio-system, auto-mTLS on, the default ingress gateway, no Prometheus', () => {
    expect(parseConfig({}).mesh).toEqual({
      prometheusUrl: undefined,
      prometheusTimeoutMs: 5000,
      rootNamespace: 'istio-system',
      autoMtls: true,
      trustDomain: 'cluster.local',
      istioRevision: undefined,
      gatewaySelector: { istio: 'ingressgateway' },
      gatewayNamespace: 'istio-system',
      gatewayTlsSecret: undefined,
      activityIntervalSeconds: 60,
    });
    expect(parseConfig({ HUBMESH_ISTIO_ROOT_NAMESPACE: 'mesh-root' }).mesh.gatewayNamespace).toBe('mesh-root');
    expect(parseConfig({ HUBMESH_TRUST_DOMAIN: 'example.org' }).mesh.trustDomain).toBe('example.org');
    expect(() => parseConfig({ HUBMESH_TRUST_DOMAIN: 'Not A Domain' })).toThrow(/HUBMESH_TRUST_DOMAIN/);
    expect(parseConfig({ HUBMESH_GATEWAY_NAMESPACE: 'istio-ingress' }).mesh.gatewayNamespace).toBe('istio-ingress');
  });

  it('reads the mesh settings and names a wrong one', () => {
    expect(
      parseConfig({
        HUBMESH_PROMETHEUS_URL: 'http://prometheus.istio-system:9090',
        HUBMESH_ISTIO_ROOT_NAMESPACE: 'mesh-root',
        HUBMESH_AUTO_MTLS: 'false',
        HUBMESH_ISTIO_REVISION: 'canary',
        HUBMESH_GATEWAY_SELECTOR: 'app=hub-gateway,istio=ingressgateway',
        HUBMESH_GATEWAY_TLS_SECRET: 'hub-tls',
        HUBMESH_ACTIVITY_INTERVAL_S: '0',
      }).mesh,
    ).toMatchObject({
      prometheusUrl: 'http://prometheus.istio-system:9090',
      rootNamespace: 'mesh-root',
      autoMtls: false,
      istioRevision: 'canary',
      gatewaySelector: { app: 'hub-gateway', istio: 'ingressgateway' },
      gatewayTlsSecret: 'hub-tls',
      activityIntervalSeconds: 0,
    });
    expect(() => parseConfig({ HUBMESH_GATEWAY_SELECTOR: 'istio' })).toThrow(/^config: HUBMESH_GATEWAY_SELECTOR must be labels/);
    expect(() => parseConfig({ HUBMESH_PROMETHEUS_URL: 'prometheus' })).toThrow(/^config: HUBMESH_PROMETHEUS_URL must be a URL/);
  });

  it('reads the preview settings', () => {
    expect(parseConfig({}).previews).toEqual({ publicUrl: undefined, janitorIntervalSeconds: 30 });
    expect(parseConfig({ HUBMESH_PUBLIC_URL: 'https://hub.example.org/', HUBMESH_PREVIEW_JANITOR_INTERVAL_S: '5' }).previews).toEqual({ publicUrl: 'https://hub.example.org', janitorIntervalSeconds: 5 });
    expect(() => parseConfig({ HUBMESH_PUBLIC_URL: 'hub' })).toThrow(/^config: HUBMESH_PUBLIC_URL must be the hub's public URL/);
  });

  it('turns JupyterHub sign-in on with all four settings, and names what a partial set lacks', () => {
    const hub = {
      HUBMESH_HUB_URL: 'https://hub.example.org/',
      JUPYTERHUB_API_URL: 'http://hub:8081/hub/api',
      HUBMESH_HUB_CLIENT_SECRET: 'a-service-api-token-0123456789',
      HUBMESH_HUB_REDIRECT_URI: 'https://hub.example.org/hubmesh/login/hub/callback',
      HUBMESH_HUB_ADMIN_GROUPS: 'platform, mesh-admins',
    };
    expect(parseConfig(hub).dashboard.hubOAuth).toEqual({
      hubUrl: 'https://hub.example.org/',
      hubApiUrl: 'http://hub:8081/hub/api',
      clientId: 'service-hubmesh',
      clientSecret: 'a-service-api-token-0123456789',
      redirectUri: 'https://hub.example.org/hubmesh/login/hub/callback',
      adminGroups: ['platform', 'mesh-admins'],
      readOnlyGroups: [],
    });
    expect(parseConfig({}).dashboard.hubOAuth).toBeUndefined();
    expect(() => parseConfig({ HUBMESH_HUB_URL: hub.HUBMESH_HUB_URL })).toThrow(/needs JUPYTERHUB_API_URL, HUBMESH_HUB_CLIENT_SECRET, HUBMESH_HUB_REDIRECT_URI as well/);
    expect(() => parseConfig({ ...hub, HUBMESH_HUB_CLIENT_ID: 'hubmesh' })).toThrow(/HUBMESH_HUB_CLIENT_ID must be the hub service's oauth_client_id/);
  });

  it("re-checks hub sessions' roles every minute unless told otherwise", () => {
    expect(parseConfig({}).dashboard.hubRecheckSeconds).toBe(60);
    expect(parseConfig({ HUBMESH_HUB_RECHECK_S: '5' }).dashboard.hubRecheckSeconds).toBe(5);
    expect(() => parseConfig({ HUBMESH_HUB_RECHECK_S: '0' })).toThrow(/^config: HUBMESH_HUB_RECHECK_S must be at least 1/);
  });

  it('reads engineer tokens, and never prints one in an error', () => {
    expect(parseConfig({ HUBMESH_ENGINEER_TOKENS: 'ci:ci-token-0123456789abcd' }).dashboard.engineerTokens).toEqual([{ name: 'ci', token: 'ci-token-0123456789abcd' }]);
    const error = (() => {
      try {
        parseConfig({ HUBMESH_ENGINEER_TOKENS: 'ci:short-secret' });
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(error).toMatch(/^config: HUBMESH_ENGINEER_TOKENS the token of "ci" must be at least 16 characters$/);
    expect(error).not.toContain('short-secret');
  });

  it('never repeats a rejected token in its message', () => {
    expect(() => parseConfig({ HUBMESH_ADMIN_TOKEN: 'sekrit' })).toThrow(/^config: HUBMESH_ADMIN_TOKEN must be at least 16 characters$/);
  });

  it('takes a proxy token of any length, as configurable-http-proxy does; an empty one is unset', () => {
    expect(parseConfig({ CONFIGPROXY_AUTH_TOKEN: 'abc' }).proxy.authToken).toBe('abc');
    expect(parseConfig({ CONFIGPROXY_AUTH_TOKEN: '' }).proxy.authToken).toBeUndefined();
  });

  it('treats an empty variable as unset', () => {
    expect(parseConfig({ HUBMESH_MODE: '', HUBMESH_NAMESPACE: '' }).mode).toBe('auto');
  });

  it.each([
    [{ HUBMESH_MODE: 'kubernetes' }, 'config: HUBMESH_MODE must be auto, cluster or local (got "kubernetes")'],
    [{ HUBMESH_NAMESPACE: 'Jupyter_Hub' }, 'config: HUBMESH_NAMESPACE must be a DNS-1123 label (lower-case letters, digits and "-") (got "Jupyter_Hub")'],
    [{ HUBMESH_NAMESPACE: 'a'.repeat(64) }, `config: HUBMESH_NAMESPACE must be at most 63 characters (got "${'a'.repeat(64)}")`],
    [{ HUBMESH_LOG_LEVEL: 'verbose' }, 'config: HUBMESH_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")'],
    [{ HUBMESH_LOG_PRETTY: 'maybe' }, 'config: HUBMESH_LOG_PRETTY must be true or false (got "maybe")'],
    [{ HUBMESH_ADMIN_TOKEN: 'short' }, 'config: HUBMESH_ADMIN_TOKEN must be at least 16 characters'],
    [{ HUBMESH_GATEWAY: 'no-slash' }, 'config: HUBMESH_GATEWAY must be <namespace>/<name> of the Gateway the routes attach to (got "no-slash")'],
    [{ HUBMESH_ROUTE_API: 'gateway' }, 'config: HUBMESH_ROUTE_API must be virtualservice or httproute (got "gateway")'],
    [{ HUBMESH_GATEWAY_SECTION: 'http' }, 'config: HUBMESH_GATEWAY_SECTION names a Gateway API listener: it applies only with HUBMESH_ROUTE_API=httproute'],
    [{ HUBMESH_ROUTE_API: 'httproute', HUBMESH_GATEWAY_SECTION: 'Bad_Name' }, 'config: HUBMESH_GATEWAY_SECTION must be the name of one of the Gateway\'s listeners (got "Bad_Name")'],
    [{ HUBMESH_READINESS_TIMEOUT_MS: '20000' }, 'config: HUBMESH_READINESS_TIMEOUT_MS must be at most 9000 (got "20000")'],
    [{ HUBMESH_READINESS: 'gateway' }, 'config: HUBMESH_GATEWAY_URL must be set when HUBMESH_READINESS is gateway'],
    [{ HUBMESH_HOSTS: 'bad host' }, 'config: HUBMESH_HOSTS must be a comma-separated list of host names or * (got "bad host")'],
    [{ HUBMESH_ROUTE_TIMEOUT: 'forever' }, 'config: HUBMESH_ROUTE_TIMEOUT must be an Istio duration such as 3600s (got "forever")'],
  ])('refuses %j with one line naming the variable', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(message);
    try {
      parseConfig(env);
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });
});
