import net from 'node:net';

export type RawAnswer = {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** the server closed the connection after its answer */
  closed: boolean;
  /** from connecting to the end of the answer */
  ms: number;
};

/**
 * Sends bytes over a fresh TCP connection, as written (no client library fixes them up), and reads
 * one HTTP answer. `send` may write more over time; write errors (the server closed on us) are
 * expected and ignored. Waits `lingerMs` after a complete answer to see whether the connection closes.
 */
export function rawExchange(
  port: number,
  send: string | Buffer | ((socket: net.Socket) => void),
  { lingerMs = 300, timeoutMs = 10_000 }: { lingerMs?: number; timeoutMs?: number } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let answeredAt: number | undefined;
    let linger: NodeJS.Timeout | undefined;
    const timeout = setTimeout(() => finish(false, new Error(`no complete answer within ${timeoutMs} ms; got ${JSON.stringify(received.toString('latin1').slice(0, 300))}`)), timeoutMs);

    function finish(closed: boolean, error?: Error) {
      clearTimeout(timeout);
      clearTimeout(linger);
      socket.destroy();
      const answer = parse(received);
      if (!answer) return reject(error ?? new Error(`no HTTP answer; got ${JSON.stringify(received.toString('latin1').slice(0, 300))}`));
      resolve({ ...answer, closed, ms: (answeredAt ?? performance.now()) - started });
    }

    socket.on('connect', () => (typeof send === 'function' ? send(socket) : socket.write(send)));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (answeredAt === undefined && parse(received)?.complete) {
        answeredAt = performance.now();
        linger = setTimeout(() => finish(false), lingerMs);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
  });
}

function parse(bytes: Buffer): (Omit<RawAnswer, 'closed' | 'ms'> & { complete: boolean }) | undefined {
  const text = bytes.toString('utf8');
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const status = Number(statusLine!.split(' ')[1]);
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  const raw = text.slice(end + 4);
  const chunked = headers['transfer-encoding'] === 'chunked';
  // without a length or chunks (HTTP/1.0), the body ends when the connection does
  const length = headers['content-length'] ?? (status === 204 || status === 304 ? '0' : undefined);
  const complete = chunked ? raw.endsWith('0\r\n\r\n') : length !== undefined && Buffer.byteLength(raw) >= Number(length);
  return { status, headers, body: chunked && complete ? dechunked(raw) : raw, complete };
}

/** The payload of a whole chunked body. */
function dechunked(raw: string): string {
  let body = '';
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    const size = parseInt(raw.slice(at, lineEnd), 16);
    if (lineEnd < 0 || !(size > 0)) return body;
    const bytes = Buffer.from(raw.slice(lineEnd + 2), 'utf8').subarray(0, size).toString('utf8');
    body += bytes;
    at = lineEnd + 2 + bytes.length + 2;
  }
}

/** The request line and headers of a raw request, with CRLFs. */
export const rawRequest = (requestLine: string, headers: Record<string, string | number> = {}) =>
  `${requestLine}\r\n${Object.entries({ host: 'hubmesh.test', ...headers })
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n`;
