#!/usr/bin/env node
// Builds the Next.js app when .next is missing or older than any source file. Used by `npm start`
// and by the test setups that run the built server.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sources = ['app', 'components', 'lib', 'instrumentation.ts', 'next.config.js', 'package.json', 'postcss.config.mjs', 'tsconfig.json'];

function newestMtime(p) {
  const full = path.join(root, p);
  if (!existsSync(full)) return 0;
  const st = statSync(full);
  if (!st.isDirectory()) return p.endsWith('.test.ts') ? 0 : st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(full).map((child) => newestMtime(path.join(p, child))));
}

export function ensureBuild(env = process.env) {
  const buildId = path.join(root, '.next', 'BUILD_ID');
  if (existsSync(buildId) && statSync(buildId).mtimeMs >= Math.max(...sources.map(newestMtime))) return;
  console.error('ensure-build: building hubmesh (the build is missing or older than the sources)...');
  const build = spawnSync(process.execPath, [path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build'], { cwd: root, stdio: 'inherit', env });
  if (build.status !== 0) throw new Error(`ensure-build: next build failed (exit ${build.status})`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    ensureBuild();
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
