import type { IncomingMessage } from 'node:http';
import { ConfigurableProxy } from 'configurable-http-proxy';
// CHP 5.3.0 forwards with http-proxy-3: its setupOutgoing is where the target's path meets the request's
import { setupOutgoing } from 'http-proxy-3/dist/lib/http-proxy/common.js';

/** What CHP does with a request: the route it picks, and the target and path it forwards to; undefined when it has no route (404). */
export type ChpChoice = { prefix: string; target: string; path: string } | undefined;

const quiet = () => undefined;

/**
 * configurable-http-proxy itself (the devDependency), in this process with its in-memory store: routes go
 * in through its own addRoute, and a request's choice comes from its own targetForReq.
 */
export class ChpReference {
  private readonly proxy: ConfigurableProxy;

  constructor(options: { hostRouting?: boolean } = {}) {
    this.proxy = new ConfigurableProxy({ hostRouting: options.hostRouting ?? false, log: { debug: quiet, info: quiet, warn: quiet, error: quiet } });
  }

  /** A route as the hub POSTs it, with its decoded path (what CHP's API hands addRoute). */
  add(path: string, target: string): Promise<void> {
    return this.proxy.addRoute(path, { target });
  }

  async choose(request: { host: string; path: string }): Promise<ChpChoice> {
    const req = { url: request.path, method: 'GET', headers: { host: request.host } } as unknown as IncomingMessage;
    const match = await this.proxy.targetForReq(req);
    if (!match) return undefined;
    const outgoing = setupOutgoing({} as Parameters<typeof setupOutgoing>[0], { target: new URL(match.target) }, req as Parameters<typeof setupOutgoing>[2]);
    return { prefix: match.prefix, target: match.target, path: String(outgoing.path) };
  }
}
