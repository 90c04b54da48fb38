import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { ProxyApiHandler } from './proxy-api';
import { bodyTooLarge, frontDoorVerdict, type FrontDoorAnswer, type FrontDoorDeps } from './front-door';

/**
 * A request whose body bytes are counted as the parser hands them over: past the cap, nothing more
 * reaches the handler (not even the end of the body) and the overflow callback answers instead. A
 * chunked body announces no size, so this is where its cap is kept.
 */
export class CappedRequest extends http.IncomingMessage {
  private cap: { maxBytes: number; received: number; cut: boolean; onOverflow: () => void } | undefined;

  capBody(maxBytes: number, onOverflow: () => void): void {
    this.cap = { maxBytes, received: 0, cut: false, onOverflow };
  }

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    const cap = this.cap;
    if (!cap) return super.push(chunk, encoding);
    if (cap.cut) return false;
    if (chunk !== null) cap.received += (chunk as Buffer).length;
    if (cap.received <= cap.maxBytes) return super.push(chunk, encoding);
    cap.cut = true;
    cap.onOverflow();
    // false makes the parser stop reading the socket
    return false;
  }
}

export type FrontDoorServerOptions = FrontDoorDeps & {
  /** what passes the front door: Next's request handler */
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** the hub proxy API's requests that pass */
  proxyApi: ProxyApiHandler;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
};

const jsonBody = (status: number, error: string) => JSON.stringify({ status, error });

/** An answer written straight to a socket, where Node gives no response object (framing errors, CONNECT). */
function rawAnswer(status: number, error: string, headers: Record<string, string> = {}): string {
  const body = jsonBody(status, error);
  const lines = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}`, 'content-type: application/json', `content-length: ${Buffer.byteLength(body)}`, 'connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Node's own answers to framing errors, as JSON. */
function framingAnswer(code: string | undefined): { status: number; error: string } {
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, error: 'request headers are too large' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, error: 'the request took too long to arrive' };
  return { status: 400, error: `malformed HTTP request${code ? ` (${code})` : ''}` };
}

const loggedTarget = (target: string | undefined) => (target ?? '').slice(0, 200);

/**
 * Next answers some requests itself, before any hubmesh handler: 405 for a method a route does not
 * export, 400 for requests it cannot parse, 409 for a Server Action it does not know. Their bodies are
 * empty or plain text; this turns such an error into the JSON `{status, error}` every hubmesh error is.
 * Pages (HTML) and JSON pass untouched, and so does any answer whose headers are already out.
 */
export function jsonForBareErrors(req: IncomingMessage, res: ServerResponse): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  // an error's head is held back until end() knows its body: its status and headers are kept on res
  res.writeHead = ((status: number, ...rest: unknown[]) => {
    const headers = rest.find((a) => typeof a === 'object' && a !== null && !Array.isArray(a)) as Record<string, string | number | string[]> | undefined;
    const typed = headers && Object.keys(headers).some((k) => k.toLowerCase() === 'content-type');
    if (status < 400 || typed || res.getHeader('content-type') !== undefined || rest.some(Array.isArray)) return writeHead(status, ...rest);
    res.statusCode = status;
    for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
    return res;
  }) as typeof res.writeHead;
  res.end = ((...args: unknown[]) => {
    const type = String(res.getHeader('content-type') ?? '');
    if (res.headersSent || res.statusCode < 400 || !(type === '' || type.startsWith('text/plain'))) return end(...args);
    const callback = args.find((a) => typeof a === 'function');
    const chunk = typeof args[0] === 'string' || Buffer.isBuffer(args[0]) || args[0] instanceof Uint8Array ? args[0] : undefined;
    const text = chunk === undefined ? '' : Buffer.from(chunk as string | Uint8Array).toString('utf8').trim();
    const body = jsonBody(res.statusCode, text.slice(0, 500) || (http.STATUS_CODES[res.statusCode] ?? 'error').toLowerCase());
    res.setHeader('content-type', 'application/json');
    res.setHeader('content-length', Buffer.byteLength(body));
    return end(req.method === 'HEAD' ? undefined : body, callback);
  }) as typeof res.end;
}

/**
 * hubmesh's HTTP server: every request passes frontDoorVerdict before anything else sees it; refusals are
 * JSON `{status, error}`, and a refused request that announced a body has its connection closed
 * instead of the body read. Then the hub proxy API is served by `proxyApi`, the rest by Next (`handle`).
 * Upgrades are served as plain requests (hubmesh has no websockets), so they pass the front door too.
 */
export function createFrontDoorServer(options: FrontDoorServerOptions): http.Server<typeof CappedRequest> {
  const { handle, proxyApi, log } = options;
  const deps: FrontDoorDeps = { proxyToken: options.proxyToken, maxBodyBytes: options.maxBodyBytes };

  const answer = (req: IncomingMessage, res: ServerResponse, refusal: FrontDoorAnswer) => {
    const body = jsonBody(refusal.status, refusal.error);
    res.writeHead(refusal.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      ...(refusal.close ? { connection: 'close' } : {}),
      ...refusal.headers,
    });
    res.end(body);
    log.info({ method: req.method, target: loggedTarget(req.url), status: refusal.status, error: refusal.error }, 'front door refused a request');
  };

  const failed = (req: IncomingMessage, res: ServerResponse, error: unknown) => {
    log.error({ err: error, method: req.method, target: loggedTarget(req.url) }, 'request failed outside the app');
    if (res.headersSent) res.destroy();
    else answer(req, res, { status: 500, error: 'internal error; see hubmesh logs', close: true });
  };

  // shouldUpgradeCallback (Node 24.9+): else Next's upgrade listener would take upgrade requests past the front door
  const server = http.createServer<typeof CappedRequest>({ IncomingMessage: CappedRequest, shouldUpgradeCallback: () => false }, (req, res) => {
    try {
      const verdict = frontDoorVerdict({ method: req.method ?? '', rawTarget: req.url ?? '', headers: req.headers }, deps);
      if (!verdict.pass) return answer(req, res, verdict);
      req.capBody(deps.maxBodyBytes, () => {
        if (res.headersSent) req.socket.destroy();
        else answer(req, res, { status: 413, error: bodyTooLarge(deps.maxBodyBytes), close: true });
      });
      // a client that goes away mid-body makes the request emit 'error' ("aborted"); it is only logged
      req.on('error', (error) => log.info({ err: error.message, method: req.method, target: loggedTarget(req.url) }, 'client went away mid-request'));
      if (verdict.serve === 'proxy-api') return void proxyApi(req, res).catch((error: unknown) => failed(req, res, error));
      jsonForBareErrors(req, res);
      handle(req, res).catch((error: unknown) => failed(req, res, error));
    } catch (error) {
      failed(req, res, error);
    }
  });

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // as Node does: answer only if no response is under way on this connection, so none is corrupted
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (error.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
      const { status, error: message } = framingAnswer(error.code);
      // a few hundred bytes are written at once; then the connection goes, as with Node's own answer
      socket.end(rawAnswer(status, message));
      log.info({ status, error: message }, 'front door refused a malformed request');
    }
    socket.destroy();
  });

  // CONNECT never reaches the request listener; without this listener Node drops the socket silently
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    const verdict = frontDoorVerdict({ method: req.method ?? '', rawTarget: req.url ?? '', headers: req.headers }, deps);
    if (!verdict.pass) {
      socket.end(rawAnswer(verdict.status, verdict.error, verdict.headers));
      log.info({ method: req.method, target: loggedTarget(req.url), status: verdict.status, error: verdict.error }, 'front door refused a request');
    }
    socket.destroy();
  });

  return server;
}
