import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { freePort } from '../hubmesh-process';

const PROMETHEUS = '/usr/bin/prometheus';
const START_TIMEOUT_MS = 30_000;
const LOG_LIMIT = 64 * 1024;

export type PrometheusServer = {
  /** base URL of the HTTP API, e.g. http://127.0.0.1:41234 */
  url: string;
  /** what Prometheus logged, for failure messages */
  log: () => string;
  stop: () => Promise<void>;
};

type TargetsAnswer = { data?: { activeTargets?: Array<{ scrapeUrl: string; health: string; lastError: string }> } };

/**
 * Starts Debian's Prometheus on a free local port with a fresh TSDB in a temp dir, scraping `targets`
 * (host:port, path /metrics) every scrapeIntervalSeconds, and resolves once every target is up. Fails,
 * never skips, with Prometheus' log tail when it does not get there.
 */
export async function startPrometheus(options: { targets: string[]; scrapeIntervalSeconds?: number }): Promise<PrometheusServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hubmesh-prometheus-'));
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    scrape_configs: [
      // honor_labels: the exporter's labels are Istio's, kept as the proxies would publish them
      { job_name: 'istio-mesh', scrape_interval: interval, scrape_timeout: interval, honor_labels: true, static_configs: [{ targets: options.targets }] },
    ],
  };
  const configFile = path.join(dir, 'prometheus.yml');
  await writeFile(configFile, YAML.stringify(config));

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    PROMETHEUS,
    [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=info'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-LOG_LIMIT);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `exited with ${signal ?? code}`;
      resolve();
    });
    child.once('error', (error) => {
      exited = `could not be started: ${error.message}`;
      resolve();
    });
  });

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exit;
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const logTail = () => output.split('\n').slice(-30).join('\n');

  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastSeen = 'no answer yet';
  while (!exited) {
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Prometheus did not get its targets up within ${START_TIMEOUT_MS} ms (${lastSeen}); its log:\n${logTail()}`);
    }
    try {
      const response = await fetch(`${url}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(1_000) });
      const targets = ((await response.json()) as TargetsAnswer).data?.activeTargets ?? [];
      const up = targets.filter((t) => t.health === 'up').length;
      if (targets.length === options.targets.length && up === targets.length) return { url, log: () => output, stop };
      lastSeen = targets.map((t) => `${t.scrapeUrl}: ${t.health}${t.lastError ? ` (${t.lastError})` : ''}`).join(', ') || 'no active targets';
    } catch (error) {
      lastSeen = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error(`Prometheus (${PROMETHEUS}) ${exited}; its log:\n${logTail()}`);
}
