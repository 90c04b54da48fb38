import { z } from 'zod';
import type { HubOAuthConfig } from './auth/hub-oauth';
import { parseEngineerTokens, type EngineerToken } from './auth/roles';
import { ConfigError } from './config-error';

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsLabelMessage = 'must be a DNS-1123 label (lower-case letters, digits and "-")';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const integer = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

const commaList = z.string().transform((v) => v.split(',').map((x) => x.trim()).filter(Boolean));

/** Every setting hubmesh reads, from the environment. scripts/start.mjs maps command-line flags onto these. */
export const configSchema = z.object({
  HUBMESH_MODE: z.enum(['auto', 'cluster', 'local'], { error: 'must be auto, cluster or local' }).default('auto'),
  HUBMESH_DATA_DIR: z.string().min(1, 'must not be empty').default('.hubmesh-data'),
  HUBMESH_NAMESPACE: z.string().max(63, 'must be at most 63 characters').regex(dns1123Label, dnsLabelMessage).optional(),
  KUBECONFIG: z.string().min(1, 'must not be empty').optional(),
  HUBMESH_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  HUBMESH_LOG_PRETTY: booleanFlag.default(false),

  // any length, as configurable-http-proxy allows; a short one is warned about at start-up and on the overview (lib/auth/proxy-token.ts)
  CONFIGPROXY_AUTH_TOKEN: z.string().min(1, 'must not be empty').optional(),
  HUBMESH_DEV_NO_AUTH: booleanFlag.default(false),
  HUBMESH_PREFIX: z.string().max(20, 'must be at most 20 characters').regex(dns1123Label, dnsLabelMessage).default('hubmesh'),
  HUBMESH_GATEWAY: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be <namespace>/<name> of the Gateway the routes attach to')
    .optional(),
  HUBMESH_ROUTE_API: z.enum(['virtualservice', 'httproute'], { error: 'must be virtualservice or httproute' }).default('virtualservice'),
  HUBMESH_GATEWAY_SECTION: z.string().max(253, 'must be at most 253 characters').regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be the name of one of the Gateway\'s listeners').optional(),
  HUBMESH_HOSTS: z
    .string()
    .transform((v) => v.split(',').map((h) => h.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^(\*|(\*\.)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/, 'must be a comma-separated list of host names or *')).min(1, 'must name at least one host'))
    .default(['*']),
  HUBMESH_HOST_ROUTING: booleanFlag.default(false),
  HUBMESH_CLUSTER_DOMAIN: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a DNS domain such as cluster.local').default('cluster.local'),
  HUBMESH_ROUTE_TIMEOUT: z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'must be an Istio duration such as 3600s').optional(),
  HUBMESH_READINESS: z.enum(['none', 'gateway', 'reconciled'], { error: 'must be none, gateway or reconciled' }).default('none'),
  HUBMESH_GATEWAY_URL: z.url({ error: 'must be a URL such as http://istio-ingressgateway.istio-system' }).optional(),
  HUBMESH_READINESS_TIMEOUT_MS: integer(100, 9000).default(8000),
  HUBMESH_MAX_BODY_BYTES: integer(1024, 1048576).default(65536),
  HUBMESH_ROUTE_DATA_MAX_BYTES: integer(256, 65536).default(4096),

  HUBMESH_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  HUBMESH_SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  HUBMESH_SESSION_TTL_S: integer(60, 7 * 24 * 3600).default(8 * 3600),
  HUBMESH_NOTEBOOK_SELECTOR: z
    .string()
    .regex(/^[^,=!\s]+(==?|!=)[^,=!\s]*(,[^,=!\s]+(==?|!=)[^,=!\s]*)*$/, 'must be a label selector such as component=singleuser-server')
    .default('component=singleuser-server'),
  HUBMESH_ISTIO_VERSION: z.string().regex(/^[0-9A-Za-z._-]+$/, 'must be an istio-proxy image tag such as 1.28.1').optional(),

  HUBMESH_PROMETHEUS_URL: z.url({ error: 'must be a URL such as http://prometheus.istio-system:9090' }).optional(),
  HUBMESH_PROMETHEUS_TIMEOUT_MS: integer(100, 60000).default(5000),
  HUBMESH_ISTIO_ROOT_NAMESPACE: z.string().max(63, 'must be at most 63 characters').regex(dns1123Label, dnsLabelMessage).default('istio-system'),
  HUBMESH_AUTO_MTLS: booleanFlag.default(true),
  HUBMESH_TRUST_DOMAIN: z.string().max(253).regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, 'must be a DNS name such as cluster.local').default('cluster.local'),
  HUBMESH_ISTIO_REVISION: z.string().max(63, 'must be at most 63 characters').regex(dns1123Label, dnsLabelMessage).optional(),
  HUBMESH_GATEWAY_SELECTOR: z
    .string()
    .regex(/^[^,=!\s]+=[^,=!\s]+(,[^,=!\s]+=[^,=!\s]+)*$/, 'must be labels such as istio=ingressgateway')
    .transform((v) => Object.fromEntries(v.split(',').map((pair) => pair.split('=') as [string, string])))
    .default({ istio: 'ingressgateway' }),
  HUBMESH_GATEWAY_NAMESPACE: z.string().max(63, 'must be at most 63 characters').regex(dns1123Label, dnsLabelMessage).optional(),
  HUBMESH_GATEWAY_TLS_SECRET: z.string().max(253, 'must be at most 253 characters').regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be the name of a TLS Secret').optional(),
  HUBMESH_ACTIVITY_INTERVAL_S: integer(0, 3600).default(60),

  HUBMESH_HUB_URL: z.url({ error: 'must be the hub\'s URL as browsers reach it, such as https://hub.example.org/' }).optional(),
  JUPYTERHUB_API_URL: z.url({ error: 'must be the hub\'s API URL such as http://hub:8081/hub/api' }).optional(),
  HUBMESH_HUB_CLIENT_ID: z.string().regex(/^service-[-a-zA-Z0-9_.]+$/, 'must be the hub service\'s oauth_client_id, which starts with "service-"').default('service-hubmesh'),
  HUBMESH_HUB_CLIENT_SECRET: z.string().min(16, 'must be at least 16 characters (the hub service\'s api_token)').optional(),
  HUBMESH_HUB_REDIRECT_URI: z.url({ error: 'must be the absolute oauth_redirect_uri, such as https://hub.example.org/hubmesh/login/hub/callback' }).optional(),
  HUBMESH_HUB_ADMIN_GROUPS: commaList.default([]),
  HUBMESH_HUB_READONLY_GROUPS: commaList.default([]),
  HUBMESH_HUB_RECHECK_S: integer(1, 86400).default(60),
  HUBMESH_ENGINEER_TOKENS: z
    .string()
    .transform((value, ctx) => {
      try {
        return parseEngineerTokens(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    })
    .default([]),

  HUBMESH_PUBLIC_URL: z.url({ error: 'must be the hub\'s public URL such as https://hub.example.org' }).optional(),
  HUBMESH_PREVIEW_JANITOR_INTERVAL_S: integer(1, 3600).default(30),
});

export type Config = {
  mode: 'auto' | 'cluster' | 'local';
  dataDir: string;
  namespace: string | undefined;
  kubeconfig: string | undefined;
  logLevel: z.infer<typeof configSchema>['HUBMESH_LOG_LEVEL'];
  logPretty: boolean;
  proxy: {
    authToken: string | undefined;
    devNoAuth: boolean;
    prefix: string;
    /** what each route is stored as: an Istio VirtualService, or a Gateway API HTTPRoute */
    routeApi: 'virtualservice' | 'httproute';
    /** "<namespace>/<name>" of the Istio Gateway (or, for HTTPRoutes, the Gateway API Gateway); undefined means "<hub namespace>/jupyterhub-gateway" */
    gateway: string | undefined;
    /** the HTTPRoutes' parentRef sectionName: one listener of the Gateway; undefined: all of them */
    gatewaySection: string | undefined;
    hosts: string[];
    hostRouting: boolean;
    clusterDomain: string;
    routeTimeout: string | undefined;
    readiness: { mode: 'none' | 'gateway' | 'reconciled'; gatewayUrl: string | undefined; timeoutMs: number };
    maxBodyBytes: number;
    /** the most a route's data (its POST body as stored, target included) may take, in UTF-8 bytes of JSON */
    maxRouteDataBytes: number;
  };
  dashboard: {
    adminToken: string | undefined;
    sessionSecret: string | undefined;
    sessionTtlSeconds: number;
    notebookSelector: string;
    /** the control plane's istio-proxy version; sidecars that differ are flagged (else: the majority's) */
    istioVersion: string | undefined;
    /** sign-in through JupyterHub (OAuth); undefined: only the admin token */
    hubOAuth: HubOAuthConfig | undefined;
    /** how often a hub session's role is checked against the hub again */
    hubRecheckSeconds: number;
    /** bearer tokens limited to managing previews */
    engineerTokens: EngineerToken[];
  };
  mesh: {
    /** Istio's telemetry; undefined: runtime mTLS and last_activity from traffic are off */
    prometheusUrl: string | undefined;
    prometheusTimeoutMs: number;
    /** where mesh-wide PeerAuthentications and DestinationRules live */
    rootNamespace: string;
    /** meshConfig.enableAutoMtls (on unless the mesh turned it off) */
    autoMtls: boolean;
    /** meshConfig.trustDomain: the first part of every SPIFFE identity the AuthorizationPolicies name */
    trustDomain: string;
    /** inject with `istio.io/rev=<revision>` instead of `istio-injection=enabled` */
    istioRevision: string | undefined;
    /** labels of the ingress gateway pods the Gateway selects */
    gatewaySelector: Record<string, string>;
    /** the namespace of those pods, where their EnvoyFilter (rate limits) must be; the root namespace unless set */
    gatewayNamespace: string;
    /** TLS Secret for an HTTPS listener on the Gateway; unset: HTTP only */
    gatewayTlsSecret: string | undefined;
    /** how often the leader moves last_activity forward from traffic; 0 turns it off */
    activityIntervalSeconds: number;
  };
  previews: {
    /** where a share link sends the stakeholder (the hub's public URL); unset: the same host as the link */
    publicUrl: string | undefined;
    /** how often the leader removes expired previews */
    janitorIntervalSeconds: number;
  };
};

/** Parses the environment into a typed config, or throws a ConfigError whose message is one line naming the variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  // An empty variable means "unset", as a shell user would expect from `FOO= npm start`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = configSchema.safeParse(present);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    const secret = ['CONFIGPROXY_AUTH_TOKEN', 'HUBMESH_ADMIN_TOKEN', 'HUBMESH_SESSION_SECRET', 'HUBMESH_HUB_CLIENT_SECRET', 'HUBMESH_ENGINEER_TOKENS'].includes(variable);
    const got = present[variable];
    throw new ConfigError(`config: ${variable} ${issue.message}${got === undefined || secret ? '' : ` (got ${JSON.stringify(got)})`}`);
  }
  const c = result.data;
  const hubSettings = { HUBMESH_HUB_URL: c.HUBMESH_HUB_URL, JUPYTERHUB_API_URL: c.JUPYTERHUB_API_URL, HUBMESH_HUB_CLIENT_SECRET: c.HUBMESH_HUB_CLIENT_SECRET, HUBMESH_HUB_REDIRECT_URI: c.HUBMESH_HUB_REDIRECT_URI };
  const missingHub = Object.entries(hubSettings).filter(([, v]) => v === undefined).map(([k]) => k);
  if (missingHub.length > 0 && missingHub.length < Object.keys(hubSettings).length) {
    throw new ConfigError(`config: JupyterHub sign-in needs ${missingHub.join(', ')} as well (or none of ${Object.keys(hubSettings).join(', ')})`);
  }
  if (c.HUBMESH_GATEWAY_SECTION !== undefined && c.HUBMESH_ROUTE_API !== 'httproute') {
    throw new ConfigError('config: HUBMESH_GATEWAY_SECTION names a Gateway API listener: it applies only with HUBMESH_ROUTE_API=httproute');
  }
  if (c.HUBMESH_READINESS === 'gateway' && !c.HUBMESH_GATEWAY_URL) {
    throw new ConfigError('config: HUBMESH_GATEWAY_URL must be set when HUBMESH_READINESS is gateway');
  }
  return {
    mode: c.HUBMESH_MODE,
    dataDir: c.HUBMESH_DATA_DIR,
    namespace: c.HUBMESH_NAMESPACE,
    kubeconfig: c.KUBECONFIG,
    logLevel: c.HUBMESH_LOG_LEVEL,
    logPretty: c.HUBMESH_LOG_PRETTY,
    proxy: {
      authToken: c.CONFIGPROXY_AUTH_TOKEN,
      devNoAuth: c.HUBMESH_DEV_NO_AUTH,
      prefix: c.HUBMESH_PREFIX,
      routeApi: c.HUBMESH_ROUTE_API,
      gateway: c.HUBMESH_GATEWAY,
      gatewaySection: c.HUBMESH_GATEWAY_SECTION,
      hosts: c.HUBMESH_HOSTS,
      hostRouting: c.HUBMESH_HOST_ROUTING,
      clusterDomain: c.HUBMESH_CLUSTER_DOMAIN,
      routeTimeout: c.HUBMESH_ROUTE_TIMEOUT,
      readiness: { mode: c.HUBMESH_READINESS, gatewayUrl: c.HUBMESH_GATEWAY_URL, timeoutMs: c.HUBMESH_READINESS_TIMEOUT_MS },
      maxBodyBytes: c.HUBMESH_MAX_BODY_BYTES,
      maxRouteDataBytes: c.HUBMESH_ROUTE_DATA_MAX_BYTES,
    },
    dashboard: {
      adminToken: c.HUBMESH_ADMIN_TOKEN,
      sessionSecret: c.HUBMESH_SESSION_SECRET,
      sessionTtlSeconds: c.HUBMESH_SESSION_TTL_S,
      notebookSelector: c.HUBMESH_NOTEBOOK_SELECTOR,
      istioVersion: c.HUBMESH_ISTIO_VERSION,
      hubOAuth:
        missingHub.length === 0
          ? {
              hubUrl: c.HUBMESH_HUB_URL!,
              hubApiUrl: c.JUPYTERHUB_API_URL!,
              clientId: c.HUBMESH_HUB_CLIENT_ID,
              clientSecret: c.HUBMESH_HUB_CLIENT_SECRET!,
              redirectUri: c.HUBMESH_HUB_REDIRECT_URI!,
              adminGroups: c.HUBMESH_HUB_ADMIN_GROUPS,
              readOnlyGroups: c.HUBMESH_HUB_READONLY_GROUPS,
            }
          : undefined,
      hubRecheckSeconds: c.HUBMESH_HUB_RECHECK_S,
      engineerTokens: c.HUBMESH_ENGINEER_TOKENS,
    },
    mesh: {
      prometheusUrl: c.HUBMESH_PROMETHEUS_URL,
      prometheusTimeoutMs: c.HUBMESH_PROMETHEUS_TIMEOUT_MS,
      rootNamespace: c.HUBMESH_ISTIO_ROOT_NAMESPACE,
      autoMtls: c.HUBMESH_AUTO_MTLS,
      trustDomain: c.HUBMESH_TRUST_DOMAIN,
      istioRevision: c.HUBMESH_ISTIO_REVISION,
      gatewaySelector: c.HUBMESH_GATEWAY_SELECTOR,
      gatewayNamespace: c.HUBMESH_GATEWAY_NAMESPACE ?? c.HUBMESH_ISTIO_ROOT_NAMESPACE,
      gatewayTlsSecret: c.HUBMESH_GATEWAY_TLS_SECRET,
      activityIntervalSeconds: c.HUBMESH_ACTIVITY_INTERVAL_S,
    },
    previews: { publicUrl: c.HUBMESH_PUBLIC_URL?.replace(/\/+$/, ''), janitorIntervalSeconds: c.HUBMESH_PREVIEW_JANITOR_INTERVAL_S },
  };
}
