import { HttpMethod, KubeConfig, RequestContext, Watch } from '@kubernetes/client-node';
import { fetch, type Dispatcher } from 'undici';
import { KubeError, toKubeError } from './errors';

export type RestRequest = {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
};

/**
 * Plain-JSON REST calls with the kubeconfig's authentication.
 *
 * Two reasons not to use client-node's generated APIs for these calls: they turn timestamps into
 * Date objects while watch events carry strings, so a cache fed by both would hold two shapes of
 * the same object; and client-node builds a new TLS agent for every request, so each call pays a
 * fresh handshake. Authentication headers are still computed by client-node per request (tokens
 * rotate); only the connection pool is kept.
 */
/** Told about every finished request: verb, HTTP status (0 when the apiserver could not be reached). */
export type RestObserver = (verb: string, status: number) => void;

export class KubeRest {
  private dispatcher: Dispatcher | undefined;
  private readonly server: string;
  observer: RestObserver | undefined;

  constructor(readonly kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new KubeError(500, 'NoCluster', 'kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/+$/, '');
  }

  get serverUrl(): string {
    return this.server;
  }

  async request<T>(req: RestRequest & { timeoutMs?: number }): Promise<T> {
    const url = new URL(this.server + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const ctx = new RequestContext(url.toString(), req.method as HttpMethod);
    let response;
    try {
      await this.kubeConfig.applySecurityAuthentication(ctx);
      this.dispatcher ??= ctx.getDispatcher();
      const headers: Record<string, string> = { ...ctx.getHeaders(), accept: 'application/json' };
      if (req.body !== undefined) headers['content-type'] = req.contentType ?? 'application/json';
      response = await fetch(url, {
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        dispatcher: this.dispatcher,
        signal: AbortSignal.timeout(req.timeoutMs ?? 30_000),
      });
    } catch (error) {
      this.observer?.(req.method, 0);
      throw toKubeError(error);
    }
    this.observer?.(req.method, response.status);
    const text = await response.text();
    if (!response.ok) {
      let status: { reason?: string; message?: string } = {};
      try {
        status = JSON.parse(text);
      } catch {
        status = { message: text.slice(0, 500) };
      }
      throw new KubeError(response.status, status.reason ?? `HTTP${response.status}`, status.message ?? `apiserver answered ${response.status}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Opens a watch stream; see ResourceBackend.watch for the callback contract. */
  async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (type: string, object: unknown) => void,
    onClose: (error?: unknown) => void,
  ): Promise<{ stop(): void }> {
    let stopped = false;
    const controller = await new Watch(this.kubeConfig).watch(path, query, onEvent, (err: unknown) => {
      if (stopped) return;
      stopped = true;
      // client-node reports an idle stream as TimeoutError; the stream simply ended, so resume from the last version.
      onClose(err && !(err instanceof Error && err.name === 'TimeoutError') ? toKubeError(err) : undefined);
    });
    return {
      stop() {
        stopped = true;
        controller.abort();
      },
    };
  }
}
