/**
 * The parse of every JSON body hubmesh reads (the hub POSTs one on every server start): parseJson, which
 * bounds depth and keeps escaped keys exact (lib/http/json.ts), vs. plain JSON.parse of the same text as
 * the anchor, in this process, blocks of each alternating so both see the same machine.
 *
 *   hub body           {"target":…,"user":"alice","server_name":""}: no escape, the native parser after a scan
 *   non-ASCII user     the same from Python's json.dumps (JupyterHub), the user name \u-escaped: escapes in values only
 *   escaped key        a body with a \u-escaped key: the strict parser
 *
 * Environment: BENCH_JSON_BLOCKS (blocks per parser and body, 40), BENCH_JSON_PARSES (parses per block, 20000).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseJson } from '../../lib/json';
import { repoRoot } from '../../test/cluster/harness';
import { formatTable, percentile, type Row } from './stats';

const blocks = Number(process.env.BENCH_JSON_BLOCKS ?? 40);
const parsesPerBlock = Number(process.env.BENCH_JSON_PARSES ?? 20_000);

const bodies = {
  'hub body': '{"target":"http://10.0.0.5:8888","user":"alice","server_name":""}',
  'non-ASCII user': String.raw`{"target": "http://10.0.0.5:8888", "jupyterhub": true, "user": "jos\u00e9", "server_name": "caf\u00e9", "last_activity": "2026-11-24T10:00:00.000000Z"}`,
  'escaped key': String.raw`{"target":"http://10.0.0.5:8888","user":"alice","server_name":"","caf\u00e9":"x"}`,
};

/** Microseconds per parse, one block. */
function block(parse: (text: string) => unknown, text: string): number {
  const start = performance.now();
  for (let i = 0; i < parsesPerBlock; i++) parse(text);
  return ((performance.now() - start) * 1000) / parsesPerBlock;
}

export async function runJsonParseBench(): Promise<void> {
  const rows: Row[] = [];
  for (const [name, text] of Object.entries(bodies)) {
    const native: number[] = [];
    const safe: number[] = [];
    block(JSON.parse, text);
    block(parseJson, text);
    for (let b = 0; b < blocks; b++) {
      native.push(block(JSON.parse, text));
      safe.push(block(parseJson, text));
    }
    rows.push({ measure: `${name}: JSON.parse (anchor)`, bytes: text.length, 'p50 µs': percentile(native, 50), 'ratio p50': 1 });
    rows.push({ measure: `${name}: parseJson`, bytes: text.length, 'p50 µs': percentile(safe, 50), 'ratio p50': percentile(safe, 50) / percentile(native, 50) });
  }
  const env = `node ${process.version}`;
  console.log(`\nhubmesh bench: JSON body parse (${env})\n`);
  console.log(formatTable(rows));
  const out = path.join(repoRoot, 'bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'json-parse.json'), JSON.stringify({ at: new Date().toISOString(), env, rows }, null, 2));
}
