import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseJson } from '../json';
import { KubeError } from './errors';
import { deepFreeze } from './intern';
import { matchesLabelSelector, parseLabelSelector } from './label-selector';
import { mergePatch } from './merge-patch';
import { apiVersionOf, type KindDescriptor, type KubeObject, type ResourceBackend, type WatchEventType } from './types';

type StoredEvent = { kindKey: string; namespace: string; type: WatchEventType; object: KubeObject; resourceVersion: number };
type Watcher = { kindKey: string; namespace: string; selector: ReturnType<typeof parseLabelSelector>; onEvent: (type: WatchEventType, o: KubeObject) => void };

const HISTORY = 2000;
const kindKeyOf = (kind: KindDescriptor) => `${kind.group || 'core'}/${kind.plural}`;

/** A copy of a client's object with the fields the server owns set, as the apiserver stores it. */
function withServerFields(kind: KindDescriptor, namespace: string, object: KubeObject, metadata: Partial<KubeObject['metadata']>): KubeObject {
  const copy = structuredClone(object);
  return { ...copy, apiVersion: apiVersionOf(kind), kind: kind.kind, metadata: { ...copy.metadata, namespace, ...metadata } };
}

/**
 * The embedded store behind local mode: Kubernetes objects kept in memory, one JSON file per object
 * under the data dir (written to a temporary file and renamed, so a crash never leaves half an
 * object), with apiserver semantics hubmesh relies on: resourceVersions, optimistic concurrency,
 * AlreadyExists/NotFound/Conflict errors, label selectors, and watches that resume from a recent
 * resourceVersion or answer 410 Expired.
 *
 * Each object is held once: the store, its event history, and every reader (lists, gets, watches and so
 * the watch caches) share one deep-frozen copy, as a cache shares the apiserver's answer. A reader that
 * tried to change one would throw, never corrupt the store.
 */
export class LocalStore {
  private resourceVersion = 0;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoredEvent[] = [];
  private readonly watchers = new Set<Watcher>();

  private constructor(readonly dataDir: string) {}

  static open(dataDir: string): LocalStore {
    const store = new LocalStore(path.resolve(dataDir));
    store.load();
    return store;
  }

  backend<T extends KubeObject>(kind: KindDescriptor): ResourceBackend<T> {
    if (kind.clusterScoped) throw new KubeError(501, 'NotImplemented', `local mode keeps namespaced objects only, not ${kind.plural}`);
    const kindKey = kindKeyOf(kind);
    return {
      kind,
      list: async (namespace, labelSelector, shape = (item: T) => item) => {
        const selector = parseLabelSelector(labelSelector);
        const items = [...this.bucket(kindKey).values()].filter(
          (o) => o.metadata.namespace === namespace && matchesLabelSelector(o.metadata.labels, selector),
        );
        return { items: items.map((o) => shape(o as T)), resourceVersion: String(this.resourceVersion) };
      },
      watch: async (namespace, options, onEvent, onClose) => {
        const from = Number(options.resourceVersion || this.resourceVersion);
        const oldest = this.history[0]?.resourceVersion ?? this.resourceVersion + 1;
        if (from < oldest - 1 && from < this.resourceVersion) {
          queueMicrotask(() => onClose(new KubeError(410, 'Expired', `too old resource version: ${from} (${oldest - 1})`)));
          return { stop() {} };
        }
        const watcher: Watcher = {
          kindKey,
          namespace,
          selector: parseLabelSelector(options.labelSelector),
          onEvent: onEvent as Watcher['onEvent'],
        };
        for (const e of this.history) {
          if (e.resourceVersion > from && this.wants(watcher, e.kindKey, e.object)) onEvent(e.type, e.object as T);
        }
        this.watchers.add(watcher);
        return { stop: () => void this.watchers.delete(watcher) };
      },
      get: async (namespace, name) => {
        const current = this.bucket(kindKey).get(`${namespace}/${name}`);
        if (!current) throw new KubeError(404, 'NotFound', `${kind.plural}.${kind.group} "${name}" not found`);
        return current as T;
      },
      create: async (namespace, object) => {
        const key = `${namespace}/${object.metadata.name}`;
        if (this.bucket(kindKey).has(key)) {
          throw new KubeError(409, 'AlreadyExists', `${kind.plural}.${kind.group} "${object.metadata.name}" already exists`);
        }
        const stored = withServerFields(kind, namespace, object, {
          uid: randomUUID(),
          generation: 1,
          creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        });
        return this.commit(kind, kindKey, 'ADDED', stored) as T;
      },
      replace: async (namespace, object) => {
        const current = this.bucket(kindKey).get(`${namespace}/${object.metadata.name}`);
        if (!current) throw new KubeError(404, 'NotFound', `${kind.plural}.${kind.group} "${object.metadata.name}" not found`);
        if (object.metadata.resourceVersion && object.metadata.resourceVersion !== current.metadata.resourceVersion) {
          throw new KubeError(
            409,
            'Conflict',
            `Operation cannot be fulfilled on ${kind.plural}.${kind.group} "${object.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
          );
        }
        const specChanged = JSON.stringify((object as { spec?: unknown }).spec) !== JSON.stringify((current as { spec?: unknown }).spec);
        const stored = withServerFields(kind, namespace, object, {
          uid: current.metadata.uid,
          creationTimestamp: current.metadata.creationTimestamp,
          generation: (current.metadata.generation ?? 1) + (specChanged ? 1 : 0),
        });
        return this.commit(kind, kindKey, 'MODIFIED', stored) as T;
      },
      patch: async (namespace, name, body, options) => {
        const current = this.bucket(kindKey).get(`${namespace}/${name}`);
        // local mode has no field ownership: an apply merges like a merge patch, or creates the object
        if (!current && options.type === 'merge') throw new KubeError(404, 'NotFound', `${kind.plural}.${kind.group} "${name}" not found`);
        const precondition = (body as { metadata?: { resourceVersion?: string } } | null)?.metadata?.resourceVersion;
        if (current && precondition !== undefined && precondition !== current.metadata.resourceVersion) {
          throw new KubeError(409, 'Conflict', `Operation cannot be fulfilled on ${kind.plural}.${kind.group} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
        }
        const merged = mergePatch<KubeObject>(current ?? { metadata: { name } }, body);
        const stored = withServerFields(kind, namespace, merged, {
          name,
          uid: current?.metadata.uid ?? randomUUID(),
          creationTimestamp: current?.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          resourceVersion: current?.metadata.resourceVersion,
          generation: (current?.metadata.generation ?? 0) + (JSON.stringify((merged as { spec?: unknown }).spec) !== JSON.stringify((current as { spec?: unknown } | undefined)?.spec) ? 1 : 0),
        });
        if (options.dryRun) return deepFreeze(stored) as T;
        return this.commit(kind, kindKey, current ? 'MODIFIED' : 'ADDED', stored) as T;
      },
      delete: async (namespace, name, options = {}) => {
        const current = this.bucket(kindKey).get(`${namespace}/${name}`);
        if (!current) throw new KubeError(404, 'NotFound', `${kind.plural}.${kind.group} "${name}" not found`);
        if (options.resourceVersion !== undefined && options.resourceVersion !== current.metadata.resourceVersion) {
          throw new KubeError(409, 'Conflict', `Operation cannot be fulfilled on ${kind.plural}.${kind.group} "${name}": the object has been modified`);
        }
        if (options.dryRun) return current as T;
        return this.commit(kind, kindKey, 'DELETED', current) as T;
      },
    };
  }

  private wants(w: Watcher, kindKey: string, o: KubeObject): boolean {
    return w.kindKey === kindKey && w.namespace === o.metadata.namespace && matchesLabelSelector(o.metadata.labels, w.selector);
  }

  private bucket(kindKey: string): Map<string, KubeObject> {
    let b = this.objects.get(kindKey);
    if (!b) this.objects.set(kindKey, (b = new Map()));
    return b;
  }

  private fileOf(kind: KindDescriptor, o: KubeObject): string {
    return path.join(this.dataDir, kind.group || 'core', kind.plural, o.metadata.namespace!, `${o.metadata.name}.json`);
  }

  private commit(kind: KindDescriptor, kindKey: string, type: WatchEventType, written: KubeObject): KubeObject {
    const resourceVersion = ++this.resourceVersion;
    const object = deepFreeze({ ...written, metadata: { ...written.metadata, resourceVersion: String(resourceVersion) } });
    const file = this.fileOf(kind, object);
    const key = `${object.metadata.namespace}/${object.metadata.name}`;
    if (type === 'DELETED') {
      rmSync(file, { force: true });
      this.bucket(kindKey).delete(key);
    } else {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(`${file}.tmp`, JSON.stringify(object));
      renameSync(`${file}.tmp`, file);
      this.bucket(kindKey).set(key, object);
    }
    this.history.push({ kindKey, namespace: object.metadata.namespace!, type, object, resourceVersion });
    if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
    for (const w of this.watchers) if (this.wants(w, kindKey, object)) w.onEvent(type, object);
    return object;
  }

  private load(): void {
    mkdirSync(this.dataDir, { recursive: true });
    for (const group of readdirSync(this.dataDir, { withFileTypes: true })) {
      if (!group.isDirectory()) continue;
      for (const plural of readdirSync(path.join(this.dataDir, group.name))) {
        const kindKey = `${group.name}/${plural}`;
        for (const namespace of readdirSync(path.join(this.dataDir, group.name, plural))) {
          const dir = path.join(this.dataDir, group.name, plural, namespace);
          for (const file of readdirSync(dir)) {
            if (!file.endsWith('.json')) continue; // a leftover .tmp is an unfinished write: ignore it
            const object = deepFreeze(parseJson(readFileSync(path.join(dir, file), 'utf8')) as KubeObject);
            this.bucket(kindKey).set(`${namespace}/${object.metadata.name}`, object);
            this.resourceVersion = Math.max(this.resourceVersion, Number(object.metadata.resourceVersion) || 0);
          }
        }
      }
    }
  }
}
