import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
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
// A watch whose answer has not begun within this long failed; one silent for longer than this (the apiserver
// sends a bookmark about once a minute to watches that allow them) has ended and is resumed.
const WATCH_CONNECT_TIMEOUT_MS = 30_000;
const WATCH_IDLE_TIMEOUT_MS = 90_000;
// HTTP/1.1 keep-alive connections, not the HTTP/2 that undici negotiates with the apiserver by default
// (node:http2 under undici). Measured on the test apiserver, 3 alternating rounds of 1,000 VirtualService
// creates: one at a time, 0.67-1.21 ms of this process's CPU per create against 1.21-1.90 ms, and 5.5-8.0 ms
// wall against 7.1-8.9; ten at a time, 0.56-0.65 against 0.62-0.69 ms CPU at the same wall time.
const HTTP1_ONLY = { allowH2: false } as const;

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
    const url = this.url(req.path, req.query);
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
        ...HTTP1_ONLY,
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
    if (status < 200 || status > 299) throw statusError(status, text);
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

  /**
   * Opens a watch stream; see ResourceBackend.watch for the callback contract. On undici's request(), like
   * every other call: client-node's Watch runs each event through fetch's web stream, a Node stream made
   * from it and readline, and a new connection pool per watch.
   */
  async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (type: string, object: unknown) => void,
    onClose: (error?: unknown) => void,
  ): Promise<{ stop(): void }> {
    const url = this.url(path, { ...query, watch: true });
    const abort = new AbortController();
    let closed = false;
    const close = (error?: unknown) => {
      if (closed) return;
      closed = true;
      abort.abort();
      onClose(error);
    };
    const handle = {
      stop() {
        closed = true;
        abort.abort();
      },
    };
    let answer: Dispatcher.ResponseData;
    try {
      // the headers first: they also make the dispatcher, with the kubeconfig's TLS settings
      const headers = { ...(await this.authHeaders()), accept: 'application/json' };
      answer = await (this.dispatcher ?? getGlobalDispatcher()).request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers,
        signal: abort.signal,
        headersTimeout: WATCH_CONNECT_TIMEOUT_MS,
        bodyTimeout: WATCH_IDLE_TIMEOUT_MS,
        ...HTTP1_ONLY,
      });
    } catch (error) {
      if (!closed) {
        this.observer?.('WATCH', 0);
        close(toKubeError(error));
      }
      return handle;
    }
    this.observer?.('WATCH', answer.statusCode);
    if (answer.statusCode !== 200) {
      if (answer.statusCode === 401) this.auth = undefined;
      close(statusError(answer.statusCode, await answer.body.text().catch(() => '')));
      return handle;
    }
    // events are JSON lines; only the new chunk is searched for line ends, so an object that arrives in
    // many chunks is not scanned again with each one
    let pending = '';
    const deliver = (line: string) => {
      if (!line.trim()) return;
      try {
        const event = JSON.parse(line) as { type?: unknown; object?: unknown };
        onEvent(String(event.type), event.object);
      } catch (error) {
        close(error instanceof SyntaxError ? new KubeError(502, 'BadWatchEvent', `the apiserver sent a watch line that is not JSON: ${line.slice(0, 200)}`) : error);
      }
    };
    answer.body.setEncoding('utf8');
    answer.body.on('data', (chunk: string) => {
      let start = 0;
      let newline: number;
      while (!closed && (newline = chunk.indexOf('\n', start)) >= 0) {
        const line = pending + chunk.slice(start, newline);
        pending = '';
        start = newline + 1;
        deliver(line);
      }
      pending += chunk.slice(start);
    });
    // the server ends every watch after timeoutSeconds; a stream silent for longer than bookmarks allow ends
    // the same way: both resume from the last version seen. A broken connection is an error.
    answer.body.on('end', () => close());
    answer.body.on('error', (error: Error) => close((error as { code?: string }).code === 'UND_ERR_BODY_TIMEOUT' ? undefined : toKubeError(error)));
    return handle;
  }

  private url(path: string, query: Record<string, string | number | boolean | undefined> = {}): URL {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }
}

/** A KubeError from a non-2xx answer, with the reason and message of its Status body when it has one. */
function statusError(status: number, text: string): KubeError {
  let body: { reason?: string; message?: string } = {};
  try {
    body = JSON.parse(text);
  } catch {
    body = { message: text.slice(0, 500) };
  }
  return new KubeError(status, body.reason ?? (status === 410 ? 'Expired' : `HTTP${status}`), body.message ?? `apiserver answered ${status}`);
}
