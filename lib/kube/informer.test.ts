import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { KubeError } from './errors';
import { Informer, isNewer, type ChangeType } from './informer';
import { LocalStore } from './local-backend';
import type { KubeObject, ResourceBackend } from './types';
import { virtualServiceKind } from './virtualservices';

const ns = 'hub';
const log = pino({ level: 'silent' });
const object = (name: string, resourceVersion?: string): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name, namespace: ns, resourceVersion, labels: { app: 'x' } },
});

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

function storeBackend() {
  return LocalStore.open(mkdtempSync(path.join(os.tmpdir(), 'hubmesh-informer-'))).backend<KubeObject>(virtualServiceKind);
}

describe('isNewer', () => {
  it('compares etcd revisions numerically, not as strings', () => {
    expect(isNewer('10', '9')).toBe(true);
    expect(isNewer('9', '10')).toBe(false);
    expect(isNewer('7', '7')).toBe(false);
    expect(isNewer('abc', 'abd')).toBe(true);
  });
});

describe('Informer', () => {
  it('lists, then follows the watch, and tells subscribers what changed', async () => {
    const backend = storeBackend();
    await backend.create(ns, object('before'));
    const informer = new Informer(backend, ns, 'app=x', log);
    const seen: Array<[ChangeType, string]> = [];
    informer.subscribe((t, o) => seen.push([t, o.metadata.name]));
    informer.start();
    expect(await informer.waitForSync(1000)).toBe(true);
    await backend.create(ns, object('after'));
    await backend.delete(ns, 'before');
    await until(() => informer.size === 1 && informer.get('after') !== undefined);
    expect(seen).toEqual([
      ['ADDED', 'before'],
      ['ADDED', 'after'],
      ['DELETED', 'before'],
    ]);
    informer.stop();
  });

  it('keeps its own write that is newer than a list in flight, instead of dropping it as deleted', async () => {
    const real = storeBackend();
    let releaseList: (() => void) | undefined;
    const slowList: ResourceBackend<KubeObject> = {
      ...real,
      list: async (n, s, shape) => {
        const snapshot = await real.list(n, s, shape);
        await new Promise<void>((r) => (releaseList = r));
        return snapshot;
      },
    };
    const informer = new Informer(slowList, ns, undefined, log);
    informer.start();
    await until(() => releaseList !== undefined);
    const created = await real.create(ns, object('written-during-list'));
    informer.observe('ADDED', created);
    releaseList!();
    expect(await informer.waitForSync(1000)).toBe(true);
    expect(informer.get('written-during-list')?.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    informer.stop();
  });

  it('drops managedFields from what it keeps', () => {
    const informer = new Informer(storeBackend(), ns, undefined, log);
    const withFields = { ...object('a', '1'), metadata: { ...object('a', '1').metadata, managedFields: [{ manager: 'kubectl' }] } } as KubeObject;
    informer.observe('ADDED', withFields);
    expect(informer.get('a')?.metadata).not.toHaveProperty('managedFields');
    expect(informer.get('a')?.metadata).toEqual(object('a', '1').metadata);
    expect(withFields.metadata).toHaveProperty('managedFields'); // the writer's copy is left as it was
  });

  it('caches what its transform makes of every object, listed, watched or observed, shaping each once', async () => {
    const backend = storeBackend();
    await backend.create(ns, object('listed'));
    const shaped: string[] = [];
    const informer = new Informer(backend, ns, undefined, log, (o) => {
      shaped.push(o.metadata.name);
      return { metadata: { name: o.metadata.name, resourceVersion: o.metadata.resourceVersion, labels: { shaped: 'yes' } } };
    });
    informer.start();
    expect(await informer.waitForSync(1000)).toBe(true);
    await backend.create(ns, object('watched'));
    await until(() => informer.get('watched') !== undefined);
    informer.observe('ADDED', object('observed', '999'));
    for (const name of ['listed', 'watched', 'observed']) expect(informer.get(name)?.metadata.labels).toEqual({ shaped: 'yes' });
    expect(shaped.sort()).toEqual(['listed', 'observed', 'watched']);
    informer.stop();
  });

  it('shapes only what it keeps: not the echo of a revision it holds, nor a deletion', () => {
    const shaped: string[] = [];
    const informer = new Informer(storeBackend(), ns, undefined, log, (o) => {
      shaped.push(`${o.metadata.name}@${o.metadata.resourceVersion}`);
      return o;
    });
    informer.observe('ADDED', object('a', '5'));
    informer.observe('MODIFIED', object('a', '5'));
    informer.observe('MODIFIED', object('a', '4'));
    informer.observe('DELETED', object('a', '6'));
    expect(informer.get('a')).toBeUndefined();
    expect(shaped).toEqual(['a@5']);
  });

  it('shows a write at once through observe, and ignores the late watch event of an older version', () => {
    const informer = new Informer(storeBackend(), ns, undefined, log);
    informer.observe('ADDED', object('a', '5'));
    informer.observe('MODIFIED', object('a', '4'));
    expect(informer.get('a')?.metadata.resourceVersion).toBe('5');
    informer.observe('DELETED', object('a', '6'));
    informer.observe('MODIFIED', object('a', '6'));
    expect(informer.get('a')).toBeUndefined();
    informer.observe('ADDED', object('a', '9'));
    expect(informer.get('a')?.metadata.resourceVersion).toBe('9');
  });

  it('reports unsynced while the backend fails, keeps the error and its status, and re-lists when it recovers', async () => {
    const real = storeBackend();
    await real.create(ns, object('a'));
    let failing = true;
    const flaky: ResourceBackend<KubeObject> = {
      ...real,
      list: (n, s, shape) => (failing ? Promise.reject(new KubeError(403, 'Forbidden', 'virtualservices is forbidden')) : real.list(n, s, shape)),
    };
    const informer = new Informer(flaky, ns, undefined, log);
    informer.start();
    expect(await informer.waitForSync(100)).toBe(false);
    expect(informer.status()).toMatchObject({ synced: false, lastErrorStatus: 403, lastError: 'virtualservices is forbidden' });
    failing = false;
    expect(await informer.waitForSync(2000)).toBe(true);
    expect(informer.status()).toMatchObject({ synced: true, objects: 1, lastError: undefined });
    informer.stop();
  });

  it('re-lists after 410 Expired and drops objects deleted while it was away', async () => {
    const real = storeBackend();
    await real.create(ns, object('stays'));
    await real.create(ns, object('goes'));
    let expireNext = false;
    let dropWatch: (() => void) | undefined;
    const backend: ResourceBackend<KubeObject> = {
      ...real,
      watch: async (n, options, onEvent, onClose) => {
        if (expireNext) {
          expireNext = false;
          queueMicrotask(() => onClose(new KubeError(410, 'Expired', 'too old resource version')));
          return { stop() {} };
        }
        const handle = await real.watch(n, options, onEvent, onClose);
        dropWatch = () => {
          handle.stop();
          onClose(new KubeError(500, 'InternalError', 'connection reset'));
        };
        return handle;
      },
    };
    const informer = new Informer(backend, ns, undefined, log);
    const deleted: string[] = [];
    informer.subscribe((t, o) => t === 'DELETED' && deleted.push(o.metadata.name));
    informer.start();
    expect(await informer.waitForSync(1000)).toBe(true);
    // the watch drops while an object is deleted; the resumed watch is told its version expired
    await until(() => dropWatch !== undefined);
    expireNext = true;
    dropWatch!();
    await real.delete(ns, 'goes');
    await until(() => informer.isSynced && informer.get('goes') === undefined);
    expect(informer.list().map((o) => o.metadata.name)).toEqual(['stays']);
    expect(deleted).toEqual(['goes']);
    informer.stop();
  });

  it('takes a 404 on an optional kind for "none installed": synced and empty, one info line, no warnings', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const recording = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
    const real = storeBackend();
    const notInstalled: ResourceBackend<KubeObject> = { ...real, list: () => Promise.reject(new KubeError(404, 'NotFound', 'the server could not find the requested resource')) };
    const optional = new Informer(notInstalled, ns, undefined, recording, undefined, { optionalKind: true });
    optional.start();
    expect(await optional.waitForSync(1000)).toBe(true);
    expect(optional.size).toBe(0);
    expect(optional.status()).toMatchObject({ synced: true, lastError: undefined });
    optional.stop();
    expect(lines.map((l) => l.msg)).toEqual(['kind not installed (404): none of it exists until it is']);
    expect(lines.every((l) => l.level < 40)).toBe(true);

    // a required kind stays unsynced and says so
    const required = new Informer(notInstalled, ns, undefined, recording);
    required.start();
    await until(() => required.status().lastErrorStatus === 404);
    expect(required.isSynced).toBe(false);
    required.stop();
  });
});
