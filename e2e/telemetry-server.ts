import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { E2E } from '../playwright.config';
import { clusterPaths } from '../test/cluster/harness';
import { freePort, startHubmesh, type HubmeshProcess } from '../test/hubmesh-process';
import { startIstioExporter, type IstioExporter } from '../test/prometheus/exporter';
import { startPrometheus, type PrometheusServer } from '../test/prometheus/harness';

/** A hubmesh of a spec's own on the test cluster, signed in with the e2e admin token, and the Prometheus it reads. */
export type TelemetryServer = {
  /** hubmesh's URL */
  base: string;
  exporter: IstioExporter;
  prometheus: PrometheusServer;
  server: HubmeshProcess;
  /** a console session's cookie header, for calls to /api/v1 outside the browser */
  sessionCookie: () => Promise<string>;
  /** Stops hubmesh, Prometheus and the exporter, and removes the last-activity Lease hubmesh took. */
  stop: () => Promise<void>;
};

/**
 * Debian's Prometheus scraping a test exporter of Istio's metrics, scripted by `script` before the first scrape,
 * and a hubmesh reading it as the app's least-privilege identity under `prefix`, with `env` on top.
 */
export async function startTelemetryServer(options: { prefix: string; token?: string; env?: Record<string, string>; script: (exporter: IstioExporter) => void }): Promise<TelemetryServer> {
  const exporter = await startIstioExporter();
  options.script(exporter);
  const prometheus = await startPrometheus({ targets: [exporter.target] });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = await startHubmesh({
    kubeconfig: clusterPaths().appKubeconfig,
    prefix: options.prefix,
    port,
    token: options.token,
    env: { HUBMESH_ADMIN_TOKEN: E2E.adminToken, HUBMESH_SESSION_SECRET: E2E.sessionSecret, HUBMESH_PROMETHEUS_URL: prometheus.url, ...options.env },
  });
  const kc = new KubeConfig();
  kc.loadFromFile(clusterPaths().adminKubeconfig);
  return {
    base,
    exporter,
    prometheus,
    server,
    sessionCookie: async () => {
      const session = await fetch(`${base}/api/v1/session`, { method: 'POST', body: JSON.stringify({ token: E2E.adminToken }) });
      return session.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
    },
    stop: async () => {
      await kc
        .makeApiClient(CoordinationV1Api)
        .deleteNamespacedLease({ name: `${options.prefix}-last-activity`, namespace: 'jupyterhub' })
        .catch(() => undefined);
      await server.stop();
      await prometheus.stop();
      await exporter.close();
    },
  };
}
