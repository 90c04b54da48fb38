#!/usr/bin/env node
// Bundles hubmesh's server entry (server/main.ts: the front door, then Next as a custom server) into
// .next/hubmesh-server.mjs, which plain Node runs. lib/ is TypeScript with extensionless imports, so
// it is bundled in; Next and the packages with native or process-wide state stay external, loaded
// from node_modules once, as Next's own server loads them (next.config.js: serverExternalPackages).
import { buildSync } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverEntryIn } from './server-process.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const serverEntry = serverEntryIn(root);
/** What the bundle is made from; scripts/ensure-build.mjs rebuilds it when one of these is newer. */
export const serverSources = ['server', 'lib', 'scripts/build-server.mjs', 'package.json', 'tsconfig.json'];

export function buildServer() {
  buildSync({
    entryPoints: [path.join(root, 'server', 'main.ts')],
    outfile: serverEntry,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    external: ['next', 'pino', 'pino-pretty', 'prom-client', '@kubernetes/client-node'],
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    buildServer();
  } catch (error) {
    console.error(`build-server: ${error.message}`);
    process.exit(1);
  }
}
