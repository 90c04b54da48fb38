import type { KubeRest } from './rest';
import { collectionPath, type KindDescriptor, type KubeObject, type ListResult, type ResourceBackend, type WatchEventType } from './types';
import { KubeError } from './errors';

type KubeList<T> = { items: T[]; metadata: { resourceVersion?: string; continue?: string } };

// Lists come in pages, as client-go's pager fetches them: the apiserver serves every page from one
// snapshot, and the server never holds a namespace's whole list as one response body and one parse.
const LIST_PAGE_SIZE = 500;

const watchEventTypes = new Set<string>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']);

/** A kind stored in a real apiserver. */
export function clusterBackend<T extends KubeObject>(rest: KubeRest, kind: KindDescriptor, fieldManager: string, listPageSize = LIST_PAGE_SIZE): ResourceBackend<T> {
  const path = (namespace: string, name?: string) =>
    collectionPath(kind, namespace) + (name === undefined ? '' : `/${encodeURIComponent(name)}`);
  return {
    kind,
    async list(namespace, labelSelector, shape = (item: T) => item): Promise<ListResult<T>> {
      const items: T[] = [];
      let resourceVersion = '';
      let token: string | undefined;
      do {
        // an expired continue token answers 410, which makes the informer list again from the start
        const page = await rest.request<KubeList<T>>({
          method: 'GET',
          path: path(namespace),
          query: { labelSelector, limit: String(listPageSize), continue: token },
        });
        for (const item of page.items) items.push(shape(item));
        resourceVersion ||= page.metadata.resourceVersion ?? '';
        token = page.metadata.continue || undefined;
      } while (token);
      return { items, resourceVersion };
    },
    async watch(namespace, options, onEvent, onClose) {
      let closed = false;
      const opened: { handle?: { stop(): void } } = {};
      const closeOnce = (error?: unknown) => {
        if (closed) return;
        closed = true;
        opened.handle?.stop();
        onClose(error);
      };
      opened.handle = await rest.watch(
        path(namespace),
        {
          resourceVersion: options.resourceVersion,
          labelSelector: options.labelSelector,
          allowWatchBookmarks: true,
          // the server ends each watch after this long; the informer resumes from the last version
          timeoutSeconds: 240 + Math.floor(Math.random() * 120),
        },
        (type, object) => {
          if (watchEventTypes.has(type)) {
            onEvent(type as WatchEventType, object as T);
          } else if (type === 'ERROR') {
            // e.g. 410 Expired when the requested resourceVersion is too old
            const status = object as { code?: number; reason?: string; message?: string };
            closeOnce(new KubeError(status.code ?? 500, status.reason ?? 'WatchError', status.message ?? 'watch failed'));
          }
        },
        closeOnce,
      );
      return opened.handle;
    },
    get(namespace, name) {
      return rest.request<T>({ method: 'GET', path: path(namespace, name) });
    },
    create(namespace, object) {
      return rest.request<T>({ method: 'POST', path: path(namespace), query: { fieldManager }, body: object });
    },
    replace(namespace, object) {
      return rest.request<T>({ method: 'PUT', path: path(namespace, object.metadata.name), query: { fieldManager }, body: object });
    },
    patch(namespace, name, body, options) {
      const apply = options.type === 'apply';
      return rest.request<T>({
        method: 'PATCH',
        path: path(namespace, name),
        query: {
          fieldManager: apply ? fieldManager : undefined,
          force: apply && options.force ? 'true' : undefined,
          dryRun: options.dryRun ? 'All' : undefined,
        },
        // JSON is YAML, so an apply body can be sent as JSON under the apply-patch content type
        contentType: apply ? 'application/apply-patch+yaml' : 'application/merge-patch+json',
        body,
      });
    },
    delete(namespace, name, options = {}) {
      // with a DeleteOptions body the apiserver reads the options from it alone, query parameters included
      const body =
        options.dryRun || options.resourceVersion
          ? {
              apiVersion: 'v1',
              kind: 'DeleteOptions',
              ...(options.dryRun ? { dryRun: ['All'] } : {}),
              ...(options.resourceVersion ? { preconditions: { resourceVersion: options.resourceVersion } } : {}),
            }
          : undefined;
      return rest.request<T>({ method: 'DELETE', path: path(namespace, name), body });
    },
  };
}
