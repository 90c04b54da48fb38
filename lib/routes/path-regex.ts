/**
 * RE2 regexes over request paths (Envoy matches them in full against the path without its query), for
 * the two places where hubmesh must say "this path but not those below it": overlays on a catch-all route
 * must not take a more specific route's requests, and a hub route under a base URL answers 404 outside it.
 * Istio's validation refuses a regex longer than this (Envoy's program-size limit is approximated by length).
 */
export const ISTIO_MAX_REGEX_LENGTH = 1024;

type KillNode = { exact: boolean; below: boolean; children: Map<string, KillNode> };

const node = (): KillNode => ({ exact: false, below: false, children: new Map() });

const literal = (c: string) => c.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
const inClass = (c: string) => c.replace(/[\\\]^[-]/g, '\\$&');

/**
 * A regex for every string except those listed: each kill is a string `s` that is refused itself
 * (`exact`) and/or with anything after it (`below`: every string starting with `s`).
 */
function complement(kills: ReadonlyArray<{ value: string; exact?: boolean; below?: boolean }>): string {
  const root = node();
  for (const kill of kills) {
    let n = root;
    for (const c of kill.value) {
      let child = n.children.get(c);
      if (!child) n.children.set(c, (child = node()));
      n = child;
    }
    if (kill.exact) n.exact = true;
    if (kill.below) n.below = true;
  }
  const render = (n: KillNode): string => {
    const alternatives: string[] = [];
    if (!n.exact) alternatives.push('');
    const chars = [...n.children.keys()].sort();
    alternatives.push(chars.length ? `[^${chars.map(inClass).join('')}].*` : '.+');
    for (const c of chars) {
      const child = n.children.get(c)!;
      if (!child.below) alternatives.push(literal(c) + render(child));
    }
    return `(?:${alternatives.join('|')})`;
  };
  return render(root);
}

/**
 * Paths at `quotedPath` or below it, except at or below `quotedPath/<segment>` for each segment given
 * (already in quoted URL form). "/" has no path of its own but "/" itself.
 */
export function pathRegexExcludingSegments(quotedPath: string, segments: readonly string[]): string {
  const rest = complement(segments.flatMap((s) => [{ value: s, exact: true }, { value: `${s}/`, below: true }]));
  return quotedPath === '/' ? `/${rest}` : `${literal(quotedPath)}(?:/${rest})?`;
}

/** Paths that are neither `quotedPath` nor below it (segment-wise: "/jupyterx" is outside "/jupyter"). */
export function pathRegexOutside(quotedPath: string): string {
  return complement([
    { value: quotedPath, exact: true },
    { value: `${quotedPath}/`, below: true },
  ]);
}
