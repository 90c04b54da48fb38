#!/usr/bin/env node
// The least any proxy in front of the apiserver can do, for the proxy bench: an HTTP server that passes each
// request's method, path and body to the apiserver over one keep-alive HTTP/1.1 pool with the kubeconfig's
// credentials (as hubmesh's KubeRest does), and answers with the apiserver's status and body. It parses
// nothing, renders nothing and keeps no cache. Prints "relay listening <port>" once it listens.
//   KUBECONFIG=<file> node scripts/bench/relay.mjs
import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import http from 'node:http';

const kc = new KubeConfig();
kc.loadFromDefault();
const server = kc.getCurrentCluster()?.server.replace(/\/+$/, '');
if (!server) throw new Error('relay: the kubeconfig has no current cluster');
const ctx = new RequestContext(server, HttpMethod.GET);
await kc.applySecurityAuthentication(ctx);
const dispatcher = ctx.getDispatcher();
const credentials = { ...ctx.getHeaders(), accept: 'application/json' };
const origin = new URL(server).origin;

const relay = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    const headers = body ? { ...credentials, 'content-type': 'application/json' } : credentials;
    dispatcher
      .request({ origin, path: req.url ?? '/', method: req.method ?? 'GET', headers, body, allowH2: false })
      .then(async (answer) => {
        const text = await answer.body.text();
        res.writeHead(answer.statusCode, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      })
      .catch((error) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 502, error: String(error) }));
      });
  });
});
relay.listen(0, '127.0.0.1', () => console.log(`relay listening ${relay.address().port}`));
process.on('SIGTERM', () => relay.close(() => process.exit(0)));
