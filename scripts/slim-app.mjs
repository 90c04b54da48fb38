#!/usr/bin/env node
// Makes the container image's app directory (Next's standalone output plus hubmesh's server) smaller
// without changing what runs: source maps and type declarations go, the packages the app can never
// load go (sharp: images are unoptimized; the font metrics that only `next/font` reads at build time),
// and the JavaScript of node_modules loses its whitespace and comments (esbuild, same module format,
// same names: stack traces keep their function names). Licence files stay.
//   node scripts/slim-app.mjs <app dir>
import { transform } from 'esbuild';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

const neverLoaded = ['node_modules/sharp', 'node_modules/@img', 'node_modules/next/dist/server/capsize-font-metrics.json'];
const dropped = /\.(map|d\.ts|d\.mts|d\.cts)$/;
const javascript = /\.(js|cjs|mjs)$/;

async function* files(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(file);
    else if (entry.isFile()) yield file;
  }
}

/**
 * Whitespace only: syntax minification may rewrite code whose text matters (Function#toString). A file
 * that is not a whole program on its own (a template, a fragment) is left as it is.
 */
async function minified(source) {
  const shebang = /^#![^\n]*\n/.exec(source)?.[0] ?? '';
  try {
    const { code } = await transform(source.slice(shebang.length), { loader: 'js', minifyWhitespace: true, legalComments: 'inline', charset: 'utf8', logLevel: 'silent' });
    return shebang + code;
  } catch {
    return source;
  }
}

async function slimApp(appDir) {
  const before = await sizeOf(appDir);
  for (const relative of neverLoaded) await rm(path.join(appDir, relative), { recursive: true, force: true });
  for await (const file of files(appDir)) {
    if (dropped.test(file)) {
      await rm(file);
    } else if (javascript.test(file) && file.includes(`${path.sep}node_modules${path.sep}`)) {
      const source = await readFile(file, 'utf8');
      const code = await minified(source);
      if (code.length < source.length) await writeFile(file, code);
    }
  }
  return { before, after: await sizeOf(appDir) };
}

async function sizeOf(dir) {
  let total = 0;
  for await (const file of files(dir)) total += (await stat(file)).size;
  return total;
}

const appDir = process.argv[2];
if (!appDir) {
  console.error('usage: node scripts/slim-app.mjs <app dir>');
  process.exit(2);
}
const { before, after } = await slimApp(appDir);
console.log(`slim-app: ${(before / 1e6).toFixed(1)} MB -> ${(after / 1e6).toFixed(1)} MB`);
