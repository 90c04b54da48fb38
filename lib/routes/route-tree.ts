import { splitHostRoute } from './routespec';

/**
 * The hub's route paths as configurable-http-proxy sees them: a trie of path segments (CHP's URLTrie
 * splits the decoded path on "/" in the same way), one trie per host when host routing is on. It answers
 * the questions rendering needs: which routes lie above a path, which below, and which first segments
 * below a path hold routes. Values are whatever the caller keeps per route (e.g. its VirtualService name).
 */
export class RouteTree<T> {
  private readonly roots = new Map<string, Node<T>>();

  constructor(private readonly hostRouting: boolean) {}

  set(routePath: string, value: T): void {
    const { host, segments } = this.locate(routePath);
    let node: Node<T> | undefined = this.roots.get(host);
    if (!node) this.roots.set(host, (node = newNode<T>()));
    for (const segment of segments) {
      let child: Node<T> | undefined = node.children?.get(segment);
      if (!child) (node.children ??= new Map()).set(segment, (child = newNode<T>()));
      node = child;
    }
    node.entry = { path: routePath, value };
  }

  delete(routePath: string): boolean {
    const { host, segments } = this.locate(routePath);
    const root = this.roots.get(host);
    if (!root) return false;
    const trail: Array<[Node<T>, string]> = [];
    let node: Node<T> | undefined = root;
    for (const segment of segments) {
      const child: Node<T> | undefined = node.children?.get(segment);
      if (!child) return false;
      trail.push([node, segment]);
      node = child;
    }
    if (!node.entry) return false;
    node.entry = undefined;
    // prune empty branches, so a tree of many short-lived routes does not grow without bound
    for (let i = trail.length - 1; i >= 0; i--) {
      const [parent, segment] = trail[i]!;
      const child = parent.children!.get(segment)!;
      if (child.entry || child.children) break;
      parent.children!.delete(segment);
      if (!parent.children!.size) parent.children = undefined;
    }
    if (!root.entry && !root.children) this.roots.delete(host);
    return true;
  }

  get(routePath: string): T | undefined {
    return this.node(routePath)?.entry?.value;
  }

  /** The routes strictly above `routePath` on its host, nearest first. */
  ancestors(routePath: string): Array<Entry<T>> {
    const { host, segments } = this.locate(routePath);
    const found: Array<Entry<T>> = [];
    let node = this.roots.get(host);
    for (let i = 0; node && i < segments.length; i++) {
      if (node.entry) found.push(node.entry);
      node = node.children?.get(segments[i]!);
    }
    return found.reverse();
  }

  /**
   * The routes strictly below `routePath` on its host, most specific (longest path) first; with `except`,
   * not that route nor anything below it.
   */
  descendants(routePath: string, except?: string): Array<Entry<T>> {
    const start = this.node(routePath);
    if (!start) return [];
    const skip = except === undefined ? undefined : this.node(except);
    const found: Array<Entry<T> & { depth: number }> = [];
    // iterative: a path may have as many segments as a request line has room for
    const pending: Array<[Node<T>, number]> = [[start, 1]];
    for (let next = pending.pop(); next; next = pending.pop()) {
      const [node, depth] = next;
      for (const child of node.children?.values() ?? []) {
        if (child === skip) continue;
        if (child.entry) found.push({ ...child.entry, depth });
        pending.push([child, depth + 1]);
      }
    }
    return found.sort((a, b) => b.depth - a.depth || b.path.length - a.path.length || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map(({ path, value }) => ({ path, value }));
  }

  /** The routes below `routePath` with no route between it and them, in no particular order. */
  nearestBelow(routePath: string): Array<Entry<T>> {
    const start = this.node(routePath);
    return start ? nearest(start) : [];
  }

  /** The routes of a host ('' for none) that have no route above them. */
  tops(host: string): Array<Entry<T>> {
    const root = this.roots.get(host);
    if (!root) return [];
    return root.entry ? [root.entry] : nearest(root);
  }

  /** The first segments below `routePath` (on its host) under which some route lies. */
  occupiedChildSegments(routePath: string): string[] {
    const node = this.node(routePath);
    return node?.children ? [...node.children.keys()].sort() : [];
  }

  hosts(): string[] {
    return [...this.roots.keys()];
  }

  /** Host ('' for none) and CHP's segments of a route path: "/" has none, "/a/b" has ["a", "b"]. */
  locate(routePath: string): { host: string; segments: string[] } {
    const { host, path } = splitHostRoute(routePath, this.hostRouting);
    return { host: host ?? '', segments: pathSegments(path) };
  }

  private node(routePath: string): Node<T> | undefined {
    const { host, segments } = this.locate(routePath);
    let node = this.roots.get(host);
    for (let i = 0; node && i < segments.length; i++) node = node.children?.get(segments[i]!);
    return node;
  }
}

export type Entry<T> = { path: string; value: T };

/** `children` only where some route lies below: most nodes are leaves, and an empty Map costs more than a route's entry */
type Node<T> = { entry: Entry<T> | undefined; children: Map<string, Node<T>> | undefined };

function nearest<T>(start: Node<T>): Array<Entry<T>> {
  const found: Array<Entry<T>> = [];
  const pending: Array<Node<T>> = [start];
  for (let node = pending.pop(); node; node = pending.pop()) {
    for (const child of node.children?.values() ?? []) {
      if (child.entry) found.push(child.entry);
      else pending.push(child);
    }
  }
  return found;
}

const newNode = <T>(): Node<T> => ({ entry: undefined, children: undefined });

/** CHP's stringToPath: leading and trailing "/" stripped, then split on "/" ("/" itself has no segments). */
export function pathSegments(path: string): string[] {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? [] : trimmed.split('/');
}
