import fc from 'fast-check';

/** What the fuzz run sends: one raw HTTP request, its class, and whether the server may close without answering. */
export type HostileCase = {
  class: FuzzClass;
  /** a short human-readable summary, for failure messages */
  what: string;
  bytes: Buffer;
  /** the client half-closes after writing (a truncated body): the server may close without an answer */
  endAfterWrite?: boolean;
};

/** The request target of a case's request line ('' when there is none). */
export const targetOf = (c: HostileCase) => c.bytes.subarray(0, c.bytes.indexOf('\n') + 1 || 200).toString('latin1').split(' ')[1] ?? '';

export const FUZZ_CLASSES = ['path', 'method', 'framing', 'headers', 'json', 'auth'] as const;
export type FuzzClass = (typeof FUZZ_CLASSES)[number];

export type Secrets = { proxyToken: string; adminToken: string };

/**
 * Where the routes that must survive the run live. The generators below never produce the letter "k",
 * raw or escaped, so no fuzz request can name a route under it.
 */
export const KEPT_PREFIX = '/kept';

const BASES = ['/api/routes', '/api/routes/fuzz', '/api/v1/routes', '/api/v1/previews', '/api/v1/session', '/api/v1/overview', '/preview', '/login', '/login/hub', '/', '/healthz', '/readyz', '/metrics', '/routes', '/_next/static', '/api'];
const PIECES = ['%', '%Z', '%ZZ', '%0', '%00', '%2F', '%2f', '%5C', '%C0%AF', '%E0%80', '%FF', '%ED%A0%80', '%F0%9F%98%80', '%E7%A7%80', '%25', '%2525', '%0A', '%09', '%3F', '%23', '..', '.', '/', '//', '\\', '@', ':', ';', '~', '!', '$', '&', "'", '(', ')', '*', ',', '=', '+', 'a', 'u', 'user', '-', '_', '秀樹', '😀', '\u00e9', '\u0000'];
const METHODS = ['TRACE', 'TRACK', 'CONNECT', 'PROPFIND', 'MOVE', 'COPY', 'LOCK', 'PURGE', 'get', 'Get', 'FOO', 'M-SEARCH', 'QUERY', 'SEARCH', 'OPTIONS', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'POST', 'GET'];

const crlf = (lines: string[], body: Buffer | string = '') => Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), Buffer.from(body as string)]);
const request = (method: string, target: string, headers: string[] = [], body: Buffer | string = '') =>
  crlf([`${method} ${target} HTTP/1.1`, 'host: 127.0.0.1', 'connection: close', ...headers, ...(body.length ? [`content-length: ${Buffer.byteLength(body as string)}`] : [])], body);

const hostilePath = fc.tuple(fc.constantFrom(...BASES), fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 16 })).map(([base, parts]) => `${base}/${parts.join('')}`);

function pathCases(s: Secrets): fc.Arbitrary<HostileCase> {
  return fc.tuple(hostilePath, fc.constantFrom('GET', 'POST', 'DELETE'), fc.boolean()).map(([target, method, authed]) => ({
    class: 'path' as const,
    what: `${method} ${target}${authed ? ' (token)' : ''}`,
    bytes: request(method, target, authed ? [`authorization: token ${s.proxyToken}`] : [], method === 'POST' ? '{"target":"http://127.0.0.1:9"}' : ''),
  }));
}

function methodCases(s: Secrets): fc.Arbitrary<HostileCase> {
  return fc.tuple(fc.constantFrom(...METHODS), fc.constantFrom(...BASES, '/api/routes/fuzz/m', '*'), fc.boolean()).map(([method, target, authed]) => ({
    class: 'method' as const,
    what: `${method} ${target}`,
    bytes: request(method, target, authed ? [`authorization: token ${s.proxyToken}`] : []),
  }));
}

function framingCases(s: Secrets): fc.Arbitrary<HostileCase> {
  const auth = `authorization: token ${s.proxyToken}`;
  const fixed: Array<Omit<HostileCase, 'class'>> = [
    { what: 'OPTIONS *', bytes: request('OPTIONS', '*') },
    { what: 'GET *', bytes: request('GET', '*') },
    { what: 'absolute-form to another host', bytes: request('GET', 'http://evil.example/x') },
    { what: 'absolute-form to the API', bytes: request('GET', 'http://127.0.0.1/api/routes', [auth]) },
    { what: 'https absolute-form', bytes: request('POST', 'https://evil.example:443/api/routes/fuzz/f', [auth], '{"target":"http://127.0.0.1:9"}') },
    { what: 'authority-form CONNECT', bytes: request('CONNECT', 'evil.example:443') },
    { what: 'no HTTP version', bytes: Buffer.from('GET /healthz\r\n\r\n') },
    { what: 'HTTP/2.0 request line', bytes: Buffer.from('GET /healthz HTTP/2.0\r\nhost: x\r\n\r\n') },
    { what: 'bare LF line ends', bytes: Buffer.from('GET /healthz HTTP/1.1\nhost: x\nconnection: close\n\n') },
    { what: 'header without colon', bytes: crlf(['GET /healthz HTTP/1.1', 'host: x', 'connection: close', 'no colon here']) },
    { what: 'space before colon', bytes: crlf(['GET /healthz HTTP/1.1', 'host : x', 'connection: close']) },
    { what: 'obs-fold', bytes: crlf(['GET /healthz HTTP/1.1', 'host: x', 'x-a: b', ' folded', 'connection: close']) },
    { what: 'two different Content-Lengths', bytes: crlf(['POST /api/routes/fuzz/cl HTTP/1.1', 'host: x', auth, 'content-length: 2', 'content-length: 30', 'connection: close'], '{}') },
    { what: 'Content-Length and chunked', bytes: crlf(['POST /api/routes/fuzz/te HTTP/1.1', 'host: x', auth, 'content-length: 4', 'transfer-encoding: chunked', 'connection: close'], '0\r\n\r\n') },
    { what: 'bad chunk size', bytes: crlf(['POST /api/routes/fuzz/ch HTTP/1.1', 'host: x', auth, 'transfer-encoding: chunked', 'connection: close'], 'zz\r\nabc\r\n0\r\n\r\n') },
    { what: 'huge chunk size', bytes: crlf(['POST /api/routes/fuzz/ch HTTP/1.1', 'host: x', auth, 'transfer-encoding: chunked', 'connection: close'], 'ffffffffff\r\nabc'), endAfterWrite: true },
    { what: 'Content-Length 1e9, no token', bytes: crlf(['POST /api/routes/fuzz/big HTTP/1.1', 'host: x', 'content-length: 1000000000', 'connection: close'], 'x'.repeat(1000)), endAfterWrite: true },
    { what: 'Content-Length 1e9, token', bytes: crlf(['POST /api/routes/fuzz/big HTTP/1.1', 'host: x', auth, 'content-length: 1000000000', 'connection: close'], 'x'.repeat(1000)), endAfterWrite: true },
    { what: 'Content-Length -1', bytes: crlf(['POST /api/routes/fuzz/neg HTTP/1.1', 'host: x', auth, 'content-length: -1', 'connection: close']) },
    { what: 'Content-Length abc', bytes: crlf(['POST /api/routes/fuzz/nan HTTP/1.1', 'host: x', auth, 'content-length: abc', 'connection: close']) },
    { what: 'body shorter than Content-Length', bytes: crlf(['POST /api/routes/fuzz/short HTTP/1.1', 'host: x', auth, 'content-length: 100', 'connection: close'], '{"target":'), endAfterWrite: true },
    { what: '64 KB request line', bytes: request('GET', `/api/routes/${'a'.repeat(65_536)}`, [auth]) },
    { what: '2,000 headers', bytes: request('GET', '/healthz', Array.from({ length: 2000 }, (_, i) => `x-h${i}: v`)) },
    { what: '80 KB header', bytes: request('GET', '/healthz', [`x-big: ${'v'.repeat(80_000)}`]) },
    { what: 'NUL in a header value', bytes: request('GET', '/healthz', ['x-nul: a\u0000b']) },
    { what: 'pipelined requests', bytes: Buffer.concat([crlf(['GET /healthz HTTP/1.1', 'host: x']), crlf(['TRACE / HTTP/1.1', 'host: x', 'connection: close'])]) },
    { what: 'empty request', bytes: Buffer.from('\r\n\r\n'), endAfterWrite: true },
    { what: 'binary garbage', bytes: Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x01, 0x00, 0x00, 0x0d, 0x0a, 0x0d, 0x0a]), endAfterWrite: true },
  ];
  const random = fc
    .tuple(fc.constantFrom('GET', 'POST', 'DELETE'), hostilePath, fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/1.2', 'HTTP/9.9', 'http/1.1'), fc.constantFrom('\r\n', '\n'))
    .map(([method, target, version, eol]) => ({ what: `${method} ${target} ${version}`, bytes: Buffer.from(`${method} ${target} ${version}${eol}host: x${eol}connection: close${eol}${eol}`, 'utf8') }));
  return fc.oneof(fc.constantFrom(...fixed), random).map((c) => ({ ...c, class: 'framing' as const }));
}

function headerCases(s: Secrets): fc.Arbitrary<HostileCase> {
  const hostile = fc.constantFrom(
    'host: evil.example',
    'host: ',
    `host: ${'h'.repeat(4000)}`,
    'x-forwarded-host: evil.example',
    'x-forwarded-proto: javascript',
    'x-forwarded-for: 1.2.3.4, ::1',
    'x-middleware-subrequest: middleware:middleware:middleware:middleware:middleware',
    'x-middleware-subrequest: proxy:proxy:proxy:proxy:proxy',
    'x-middleware-prefetch: 1',
    'rsc: 1',
    'next-router-state-tree: %7B%22x%22',
    'next-router-prefetch: 1',
    'next-action: 00deadbeef',
    'x-nextjs-data: 1',
    'x-invoke-path: /api/v1/routes',
    'x-matched-path: /api/v1/session',
    'accept: */*',
    'accept: text/x-component',
    'cookie: hubmesh_session=eyJzdWIiOiJhZG1pbiJ9.AAAA',
    'cookie: hubmesh_session=%ZZ; hubmesh_csrf=x',
    `cookie: ${'c=v; '.repeat(500)}`,
    'content-type: multipart/form-data; boundary=x',
    'content-type: application/x-www-form-urlencoded',
    'content-encoding: gzip',
    'expect: 100-continue',
    'range: bytes=0-1,2-3',
    `x-request-id: ${'r'.repeat(5000)}`,
    'if-none-match: *',
    'upgrade: websocket',
  );
  return fc.tuple(fc.constantFrom('GET', 'POST', 'DELETE'), fc.constantFrom(...BASES, '/api/routes/fuzz/h'), fc.array(hostile, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([method, target, headers, authed]) => {
    const withHost = headers.some((h) => h.startsWith('host:')) ? headers : ['host: 127.0.0.1', ...headers];
    const lines = [`${method} ${target} HTTP/1.1`, ...withHost, 'connection: close', ...(authed ? [`authorization: token ${s.proxyToken}`] : [])];
    const body = method === 'POST' ? '{"target":"http://127.0.0.1:9"}' : '';
    return { class: 'headers' as const, what: `${method} ${target} with ${headers.map((h) => h.slice(0, 40)).join(' | ')}`, bytes: crlf(body ? [...lines, `content-length: ${body.length}`] : lines, body) };
  });
}

const deep = (depth: number, open: string, close: string, inner = '1') => `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

function jsonBodies(): fc.Arbitrary<Buffer> {
  const target = '"target":"http://127.0.0.1:9"';
  const fixed = [
    '',
    ' ',
    'null',
    '[]',
    '"a string"',
    '1e999',
    '{',
    '{"target":',
    `{${target},}`,
    `{${target}} trailing`,
    `{${target},"target":"http://evil.example"}`,
    `{${target},"__proto__":{"admin":true}}`,
    `{${target},"constructor":{"prototype":{"x":1}}}`,
    '{"\\\\":1,"target":"http://127.0.0.1:9"}',
    '{"\\u03a9":1,"target":"http://127.0.0.1:9"}',
    '{"\\ud800":1,"target":"http://127.0.0.1:9"}',
    `{${target},"n":123456789012345678901234567890}`,
    `{${target},"last_activity":"not a date"}`,
    '{"target":"javascript:alert(1)"}',
    '{"target":"http://evil.example/?x=1"}',
    '{"target":"http://user:pw@127.0.0.1:9"}',
    '{"target":"http://[::1]:80"}',
    '{"target":"http://127.0.0.1:99999"}',
    '{"target":"http://例え.jp:80"}',
    `{"target":"http://${'a'.repeat(70_000)}:80"}`,
    '{"target":12}',
    '{"target":null}',
    '{"target":["http://a:1"]}',
    `{${target},"pad":"${'p'.repeat(4050)}"}`,
    `{${target},"pad":"${'p'.repeat(3900)}"}`,
    `{${target},"pad":"${'é'.repeat(2100)}"}`,
    `{${target},"a":${deep(20, '[', ']')}}`,
    `{${target},"a":${deep(100, '[', ']')}}`,
    `{${target},"a":${deep(4385, '[', ']')}}`,
    `{${target},"a":${deep(4400, '{"a":', '}')}}`,
    deep(100_000, '[', ']'),
    `{${target},"a":[${'1,'.repeat(20_000)}1]}`,
  ].map((text) => Buffer.from(text, 'utf8'));
  const binary = [Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from(`{${target}}`)]), Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), Buffer.from([0x00, 0x7b, 0x7d])];
  const generated = fc
    .jsonValue({ maxDepth: 6 })
    .chain((value) => fc.constantFrom(JSON.stringify(value), JSON.stringify({ target: 'http://127.0.0.1:9', value }), JSON.stringify(value).slice(0, -1)))
    .map((text) => Buffer.from(text, 'utf8'));
  return fc.oneof(fc.constantFrom(...fixed, ...binary), generated);
}

function jsonCases(s: Secrets): fc.Arbitrary<HostileCase> {
  const targets = [
    { path: '/api/routes/fuzz/json', auth: `authorization: token ${s.proxyToken}` },
    { path: '/api/routes/fuzz/秀樹', auth: `authorization: token ${s.proxyToken}` },
    { path: '/api/v1/previews', auth: `authorization: Bearer ${s.adminToken}` },
    { path: '/api/v1/session', auth: '' },
    { path: '/api/v1/routes/fuzz/overlays', auth: `authorization: Bearer ${s.adminToken}` },
    { path: '/api/v1/notebook-defaults', auth: `authorization: Bearer ${s.adminToken}` },
    { path: '/api/v1/mesh/actions/strict-mtls', auth: `authorization: Bearer ${s.adminToken}` },
  ];
  return fc.tuple(fc.constantFrom(...targets), jsonBodies(), fc.constantFrom('POST', 'PUT', 'PATCH')).map(([t, body, method]) => ({
    class: 'json' as const,
    what: `${method} ${t.path} ${body.subarray(0, 60).toString('utf8')}… (${body.length} B)`,
    bytes: Buffer.concat([Buffer.from(`${method} ${encodeURI(t.path)} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n${t.auth ? `${t.auth}\r\n` : ''}content-length: ${body.length}\r\n\r\n`, 'utf8'), body]),
  }));
}

function authCases(s: Secrets): fc.Arbitrary<HostileCase> {
  const variants = [
    '',
    'authorization: token',
    'authorization: token ',
    'authorization: token wrong',
    `authorization: token ${s.proxyToken}x`,
    `authorization: token ${s.proxyToken.slice(0, -1)}`,
    `authorization: Bearer ${s.proxyToken}`,
    `authorization: TOKEN ${s.proxyToken}`,
    `authorization: token  ${s.proxyToken} `,
    `authorization: token ${'t'.repeat(10_000)}`,
    `authorization: Bearer ${s.adminToken}x`,
    `authorization: Bearer ${s.proxyToken}`,
    'authorization: Basic YWRtaW46YWRtaW4=',
    `authorization: token wrong\r\nauthorization: token ${s.proxyToken}`,
    'cookie: hubmesh_session=forged.forged; hubmesh_csrf=a\r\nx-csrf-token: a',
    'x-csrf-token: anything',
  ];
  return fc
    .tuple(fc.constantFrom(...variants), fc.constantFrom('/api/routes', '/api/routes/fuzz/auth', '/api/v1/routes', '/api/v1/previews', '/api/v1/session', '/api/v1/audit', '/routes', '/'), fc.constantFrom('GET', 'POST', 'DELETE'))
    .map(([header, target, method]) => {
      const body = method === 'POST' ? '{"target":"http://127.0.0.1:9","name":"fuzz","pathPrefix":"/fuzz"}' : '';
      return { class: 'auth' as const, what: `${method} ${target} with ${header.slice(0, 50) || 'no credentials'}`, bytes: request(method, target, header ? [header] : [], body) };
    });
}

const BUILDERS: Record<FuzzClass, (s: Secrets) => fc.Arbitrary<HostileCase>> = {
  path: pathCases,
  method: methodCases,
  framing: framingCases,
  headers: headerCases,
  json: jsonCases,
  auth: authCases,
};

/** `perClass` cases of every class, reproducible from `seed`. */
export function hostileCases(secrets: Secrets, perClass: number, seed: number): HostileCase[] {
  return FUZZ_CLASSES.flatMap((name, i) => fc.sample(BUILDERS[name](secrets), { seed: seed + i, numRuns: perClass }));
}
