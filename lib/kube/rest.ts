import { HttpMethod, KubeConfig, RequestContext, Watch } from '@kubernetes/client-node';
import { getGlobalDispatcher, type Dispatcher } from 'undici';
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

// How long computed authentication headers are reused. Like client-go's cached token file (re-read every
// minute): a rotated service-account token is picked up within a minute, or at once after a 401.
const AUTH_REUSE_MS = 60_000;

export class KubeRest {
  private dispatcher: Dispatcher | undefined;
  private auth: { headers: Record<string, string>; until: number } | undefined;
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
    // A timer, unlike AbortSignal.timeout(), is cleared as soon as the call ends. A pending timer keeps the
    // async context it was made in, which inside a Next.js handler is the whole request (request, response,
    // caches): with a 30 s signal per call, a busy server held ~30 s of finished requests in memory.
    const abort = new AbortController();
    const timeoutMs = req.timeoutMs ?? 30_000;
    const timer = setTimeout(() => abort.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
    let status: number;
    let text: string;
    try {
      const headers: Record<string, string> = { ...(await this.authHeaders()), accept: 'application/json' };
      if (req.body !== undefined) headers['content-type'] = req.contentType ?? 'application/json';
      // undici's request(), not fetch(): the same pool and TLS, without fetch's Request, Response and web
      // streams, which cost as much CPU per call as the rest of a route write
      const answer = await (this.dispatcher ?? getGlobalDispatcher()).request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: abort.signal,
      });
      status = answer.statusCode;
      text = await answer.body.text();
    } catch (error) {
      this.observer?.(req.method, 0);
      throw toKubeError(abort.signal.aborted ? abort.signal.reason : error);
    } finally {
      clearTimeout(timer);
    }
    this.observer?.(req.method, status);
    if (status === 401) this.auth = undefined;
    if (status < 200 || status > 299) {
      let body: { reason?: string; message?: string } = {};
      try {
        body = JSON.parse(text);
      } catch {
        body = { message: text.slice(0, 500) };
      }
      throw new KubeError(status, body.reason ?? `HTTP${status}`, body.message ?? `apiserver answered ${status}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * The kubeconfig's authentication headers (bearer token, exec plugin or OIDC credentials), and the TLS
   * dispatcher on first use. client-node builds them anew on every call, with a new agent and decoded
   * certificates each time; reusing them for a minute spares every request that work and its garbage.
   */
  private async authHeaders(): Promise<Record<string, string>> {
    if (this.auth && Date.now() < this.auth.until) return this.auth.headers;
    const ctx = new RequestContext(this.server, HttpMethod.GET);
    await this.kubeConfig.applySecurityAuthentication(ctx);
    this.dispatcher ??= ctx.getDispatcher();
    this.auth = { headers: ctx.getHeaders(), until: Date.now() + AUTH_REUSE_MS };
    return this.auth.headers;
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
