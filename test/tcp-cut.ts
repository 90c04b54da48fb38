import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { freePort } from './hubmesh-process';

/**
 * A TCP path to the real apiserver that a test can cut and restore, so a hubmesh process sees the
 * apiserver go away (connections reset, new ones refused) without stopping the apiserver that
 * other tests share.
 */
export async function cuttableApiserver(kubeconfig: string) {
  const config = YAML.parse(readFileSync(kubeconfig, 'utf8'));
  const upstream = new URL(config.clusters[0].cluster.server);
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = net.createServer((client) => {
        const up = net.connect(Number(upstream.port), upstream.hostname);
        for (const s of [client, up]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(up).pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  await listen();
  config.clusters[0].cluster.server = `https://127.0.0.1:${port}`;
  const file = path.join(os.tmpdir(), `hubmesh-cut-${port}.kubeconfig`);
  writeFileSync(file, YAML.stringify(config), { mode: 0o600 });
  return {
    kubeconfig: file,
    /** Stops accepting (new connections are refused) and resets every open connection. */
    cut: async () => {
      server?.close();
      server = undefined;
      for (const s of sockets) s.destroy();
    },
    restore: listen,
    close: async () => {
      server?.close();
      server = undefined;
      for (const s of sockets) s.destroy();
    },
  };
}
