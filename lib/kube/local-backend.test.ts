import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubeError } from './errors';
import { LocalStore } from './local-backend';
import type { KubeObject, WatchEventType } from './types';
import { virtualServiceKind } from './virtualservices';

const ns = 'jupyterhub';
type VS = KubeObject & { spec: { hosts: string[] } };
const vs = (name: string, labels: Record<string, string> = { 'app.kubernetes.io/managed-by': 'hubmesh' }, hosts = ['*']): VS => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name, labels },
  spec: { hosts },
});

function tempStore() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hubmesh-store-'));
  return { dir, store: LocalStore.open(dir) };
}

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (e) {
    return (e as KubeError).status;
  }
}

describe('LocalStore', () => {
  it('assigns uid, resourceVersion and timestamps like the apiserver, and persists one file per object', async () => {
    const { dir, store } = tempStore();
    const backend = store.backend<VS>(virtualServiceKind);
    const created = await backend.create(ns, vs('a'));
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata.resourceVersion).toBe('1');
    expect(created.metadata.namespace).toBe(ns);
    expect(created.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const file = path.join(dir, 'networking.istio.io', 'virtualservices', ns, 'a.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(created);
  });

  it('keeps AlreadyExists, NotFound and Conflict semantics', async () => {
    const { store } = tempStore();
    const backend = store.backend<VS>(virtualServiceKind);
    const created = await backend.create(ns, vs('a'));
    expect(await status(backend.create(ns, vs('a')))).toBe(409);
    expect(await status(backend.delete(ns, 'missing'))).toBe(404);
    expect(await status(backend.replace(ns, vs('missing')))).toBe(404);
    // a delete of another version is refused; a dry run deletes nothing
    expect(await status(backend.delete(ns, 'a', { resourceVersion: '999' }))).toBe(409);
    await backend.delete(ns, 'a', { dryRun: true, resourceVersion: created.metadata.resourceVersion });
    expect((await backend.get(ns, 'a')).metadata.uid).toBe(created.metadata.uid);
    const updated = await backend.replace(ns, { ...created, spec: { hosts: ['hub.example.com'] } });
    expect(updated.metadata.resourceVersion).toBe('2');
    expect(updated.metadata.generation).toBe(2);
    expect(updated.metadata.uid).toBe(created.metadata.uid);
    expect(await status(backend.replace(ns, { ...created, spec: { hosts: ['other'] } }))).toBe(409);
  });

  it('patches: a merge patch changes what it names, an apply creates or merges, a dry run stores nothing', async () => {
    const { store } = tempStore();
    const backend = store.backend<VS>(virtualServiceKind);
    expect(await status(backend.patch(ns, 'missing', { spec: { hosts: ['x'] } }, { type: 'merge' }))).toBe(404);
    const dry = await backend.patch(ns, 'b', { metadata: { labels: { a: '1' } }, spec: { hosts: ['h'] } }, { type: 'apply', dryRun: true });
    expect(dry.spec.hosts).toEqual(['h']);
    expect(await status(backend.get(ns, 'b'))).toBe(404);
    const applied = await backend.patch(ns, 'b', { metadata: { labels: { a: '1' } }, spec: { hosts: ['h'] } }, { type: 'apply' });
    expect(applied.metadata).toMatchObject({ name: 'b', namespace: ns, labels: { a: '1' }, generation: 1 });
    const merged = await backend.patch(ns, 'b', { metadata: { labels: { a: null, c: '3' } } }, { type: 'merge' });
    expect(merged.metadata.labels).toEqual({ c: '3' });
    expect(merged.metadata.generation).toBe(1); // labels are not spec
    expect(Number(merged.metadata.resourceVersion)).toBeGreaterThan(Number(applied.metadata.resourceVersion));
    // a resourceVersion in the patch is a precondition, as on the apiserver
    expect(await status(backend.patch(ns, 'b', { metadata: { resourceVersion: applied.metadata.resourceVersion, labels: { d: '4' } } }, { type: 'merge' }))).toBe(409);
  });

  it('filters lists by namespace and label selector', async () => {
    const { store } = tempStore();
    const backend = store.backend<VS>(virtualServiceKind);
    await backend.create(ns, vs('mine'));
    await backend.create(ns, vs('foreign', { app: 'other' }));
    await backend.create('elsewhere', vs('mine-too'));
    const list = await backend.list(ns, 'app.kubernetes.io/managed-by=hubmesh');
    expect(list.items.map((o) => o.metadata.name)).toEqual(['mine']);
    expect(list.resourceVersion).toBe('3');
  });

  it('reloads what it persisted, ignoring an unfinished write', async () => {
    const { dir, store } = tempStore();
    const backend = store.backend<VS>(virtualServiceKind);
    await backend.create(ns, vs('a'));
    const b = await backend.create(ns, vs('b'));
    await backend.delete(ns, 'a');
    writeFileSync(path.join(dir, 'networking.istio.io', 'virtualservices', ns, 'c.json.tmp'), '{"half":');
    const reopened = LocalStore.open(dir).backend<VS>(virtualServiceKind);
    const list = await reopened.list(ns);
    expect(list.items).toEqual([b]);
    expect(readdirSync(path.join(dir, 'networking.istio.io', 'virtualservices', ns)).sort()).toEqual(['b.json', 'c.json.tmp']);
    const next = await reopened.create(ns, vs('d'));
    expect(Number(next.metadata.resourceVersion)).toBeGreaterThan(Number(b.metadata.resourceVersion));
  });

  it('reloads keys exactly, also escaped keys after one holding a backslash (nodejs/node#63785)', async () => {
    const { dir, store } = tempStore();
    const backend = store.backend<VS>(virtualServiceKind);
    // written as "\\" and "\"": V8's JSON.parse would read the second back as "\"
    const a = await backend.create(ns, vs('a', { 'app.kubernetes.io/managed-by': 'hubmesh', '\\': 'backslash' }));
    const b = await backend.create(ns, vs('b', { 'app.kubernetes.io/managed-by': 'hubmesh', '"': 'quote' }));
    const reopened = LocalStore.open(dir).backend<VS>(virtualServiceKind);
    expect(await reopened.get(ns, 'a')).toEqual(a);
    expect(await reopened.get(ns, 'b')).toEqual(b);
  });

  it('replays events after a recent resourceVersion and answers 410 for an expired one', async () => {
    const { store } = tempStore();
    const backend = store.backend<VS>(virtualServiceKind);
    await backend.create(ns, vs('a'));
    const { resourceVersion } = await backend.list(ns);
    await backend.create(ns, vs('b'));
    await backend.delete(ns, 'a');
    const events: Array<[WatchEventType, string]> = [];
    const handle = await backend.watch(ns, { resourceVersion }, (t, o) => events.push([t, o.metadata.name]), () => undefined);
    await backend.create(ns, vs('c'));
    await backend.create(ns, vs('x', { app: 'other' }));
    handle.stop();
    await backend.create(ns, vs('after-stop'));
    expect(events).toEqual([
      ['ADDED', 'b'],
      ['DELETED', 'a'],
      ['ADDED', 'c'],
      ['ADDED', 'x'],
    ]);

    const reopened = LocalStore.open(store.dataDir).backend(virtualServiceKind);
    const closed = await new Promise<unknown>((resolve) => void reopened.watch(ns, { resourceVersion: '1' }, () => undefined, resolve));
    expect(closed).toBeInstanceOf(KubeError);
    expect((closed as KubeError).status).toBe(410);
  });
});
