import http from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import type { KubeObject } from '../kube/types';
import type { VirtualService } from '../kube/virtualservices';
import { routeFromObject, ROUTE_HEADER } from './virtualservice';
import { splitHostRoute } from './routespec';

export type ReadinessOptions<T extends KubeObject> = {
  mode: 'none' | 'gateway' | 'reconciled';
  gatewayUrl: string | undefined;
  timeoutMs: number;
  hosts: string[];
  hostRouting: boolean;
  /** the freshest copy of a route object (the watch cache), for the mesh's status of it */
  current: (name: string) => T | undefined;
  /** whether the mesh reports the object's generation as in force: a VirtualService Reconciled, an HTTPRoute Accepted with its refs resolved */
  inForce: (object: T) => boolean;
  log: Logger;
  pollMs?: number;
};

/** Whether istiod has reported this generation of the object as acknowledged by the proxies. */
export function isReconciled(vs: VirtualService): boolean {
  const condition = vs.status?.conditions?.find((c) => c.type === 'Reconciled');
  if (condition?.status !== 'True') return false;
  const observed = Number(vs.status?.observedGeneration);
  return !Number.isFinite(observed) || observed >= (vs.metadata.generation ?? 0);
}

/** What the gateway answered to one request: its status and the route header naming the VirtualService that served it. */
export type GatewayAnswer = { status: number; routeHeader: string | undefined };

/**
 * One GET through the gateway for `path`, with `hostHeader` as its Host, no credentials and no redirect followed.
 * Rejects when the gateway cannot be reached or does not answer within timeoutMs.
 */
export function requestThroughGateway(gatewayUrl: string, hostHeader: string | undefined, path: string, timeoutMs: number): Promise<GatewayAnswer> {
  const url = new URL(path, gatewayUrl);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, { method: 'GET', headers: hostHeader ? { host: hostHeader } : {}, timeout: timeoutMs }, (res) => {
      res.resume();
      const header = res.headers[ROUTE_HEADER];
      resolve({ status: res.statusCode ?? 0, routeHeader: Array.isArray(header) ? header.join(',') : header });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** One probe of the gateway: does it answer this route's path with the route's header naming this VirtualService? */
export async function probeGateway(gatewayUrl: string, hostHeader: string | undefined, path: string, expected: string, timeoutMs: number): Promise<boolean> {
  try {
    return (await requestThroughGateway(gatewayUrl, hostHeader, path, timeoutMs)).routeHeader === expected;
  } catch {
    return false;
  }
}

/**
 * Waits until the gateway serves a freshly written route, bounded by timeoutMs (well under the
 * hub's 10 s request timeout). Running out is not an error: the route is stored, so it is logged.
 */
export function readinessWaiter<T extends KubeObject>(options: ReadinessOptions<T>): (object: T) => Promise<void> {
  const pollMs = options.pollMs ?? 100;
  if (options.mode === 'none') return async () => undefined;
  return async (object) => {
    const name = object.metadata.name;
    const deadline = Date.now() + options.timeoutMs;
    const route = routeFromObject(object);
    const { host, path } = splitHostRoute(route?.path ?? '/', options.hostRouting);
    const hostHeader = host ?? options.hosts.find((h) => !h.includes('*'));
    const probePath = path === '/' ? '/' : `${path}/`;
    while (Date.now() < deadline) {
      const served =
        options.mode === 'reconciled'
          ? options.inForce(options.current(name) ?? object)
          : await probeGateway(options.gatewayUrl!, hostHeader, probePath, name, Math.max(50, Math.min(1000, deadline - Date.now())));
      if (served) return;
      await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
    }
    options.log.warn({ routeObject: name, mode: options.mode, timeoutMs: options.timeoutMs }, 'route not confirmed served before the readiness timeout; answering 201 anyway');
  };
}
