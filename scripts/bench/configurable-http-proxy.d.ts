// The parts of configurable-http-proxy 5.x (lib/configproxy.js, untyped) that the benchmark and the routing tests use.
declare module 'configurable-http-proxy' {
  import type { IncomingMessage, Server } from 'node:http';

  type Log = {
    debug: (...args: unknown[]) => void;
    info: (...args: unknown[]) => void;
    warn: (...args: unknown[]) => void;
    error: (...args: unknown[]) => void;
  };

  export class ConfigurableProxy {
    constructor(options: { authToken?: string; log?: Log; [option: string]: unknown });
    readonly apiServer: Server;
    readonly proxyServer: Server;
    addRoute(path: string, data: { target: string; [key: string]: unknown }): Promise<void>;
    targetForReq(req: IncomingMessage): Promise<{ prefix: string; target: string } | undefined>;
  }
}
