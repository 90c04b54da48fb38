/**
 * Istio's host-name and reference rules, as istiod applies them (pkg/config/host, pilot/pkg/model):
 * short-name expansion, wildcard subsets and intersections, Gateway references, Kubernetes Service hosts.
 */

/** The reserved gateway name that binds a VirtualService to every sidecar instead of a gateway. */
export const MESH_GATEWAY = 'mesh';

/** A name without a dot is a Service in the object's own namespace; `*`, IPs and FQDNs stay as written. */
export function resolveShortName(host: string, namespace: string, clusterDomain: string): string {
  const lower = host.toLowerCase();
  if (lower === '*' || lower.includes('.') || lower.includes(':')) return lower;
  return `${lower}.${namespace}.svc.${clusterDomain}`;
}

const isWildcard = (host: string) => host.startsWith('*');

/** Whether every name `host` covers is covered by `other` (`a.example.com` ⊂ `*.example.com` ⊂ `*`). */
export function hostSubsetOf(host: string, other: string): boolean {
  if (isWildcard(host)) return isWildcard(other) && host.length >= other.length && host.slice(1).endsWith(other.slice(1));
  if (isWildcard(other)) return host.endsWith(other.slice(1));
  return host === other;
}

/** Names covered by both lists, each as the more specific of an overlapping pair (istiod's virtual-host names). */
export function hostIntersection(left: string[], right: string[]): string[] {
  const result = new Set<string>();
  for (const l of left) {
    for (const r of right) {
      if (hostSubsetOf(l, r)) result.add(l);
      else if (hostSubsetOf(r, l)) result.add(r);
    }
  }
  return [...result];
}

/**
 * A Gateway server's hosts as seen by a VirtualService in `vsNamespace`: `ns/host` only applies to VirtualServices
 * of that namespace, `./host` to those of the Gateway's own namespace, `*\/host` and a bare host to all.
 */
export function serverHostsFor(hosts: string[], gatewayNamespace: string, vsNamespace: string): string[] {
  return hosts.flatMap((entry) => {
    const slash = entry.indexOf('/');
    if (slash < 0) return [entry.toLowerCase()];
    const scope = entry.slice(0, slash);
    const applies = scope === '*' || scope === vsNamespace || (scope === '.' && gatewayNamespace === vsNamespace);
    return applies ? [entry.slice(slash + 1).toLowerCase()] : [];
  });
}

export type GatewayKey = { namespace: string; name: string };

/**
 * A VirtualService's `gateways` entry as istiod resolves it: `ns/name`, `./name` (the VirtualService's namespace),
 * a bare `name` (same), or the legacy `name.ns[.svc.<domain>]`. `mesh` (the sidecars) resolves to 'mesh'.
 */
export function resolveGatewayRef(ref: string, vsNamespace: string): GatewayKey | typeof MESH_GATEWAY {
  if (ref === MESH_GATEWAY) return MESH_GATEWAY;
  const slash = ref.indexOf('/');
  if (slash >= 0) {
    const namespace = ref.slice(0, slash);
    return { namespace: namespace === '.' ? vsNamespace : namespace, name: ref.slice(slash + 1) };
  }
  const [name, namespace] = ref.split('.');
  return { namespace: namespace ?? vsNamespace, name: name! };
}

/** The gateways a VirtualService binds to; none listed means the sidecars only. */
export function gatewaysOf(vs: { metadata: { namespace?: string }; spec: { gateways?: string[] } }): Array<GatewayKey | typeof MESH_GATEWAY> {
  const refs = vs.spec.gateways?.length ? vs.spec.gateways : [MESH_GATEWAY];
  return refs.map((ref) => resolveGatewayRef(ref, vs.metadata.namespace ?? ''));
}

/**
 * The Kubernetes Service a destination host names: a short name (the VirtualService's namespace) or
 * `<name>.<namespace>.svc.<clusterDomain>`. Undefined for anything else (external names, ServiceEntry hosts,
 * wildcards, and `name.ns`, which istiod does not expand).
 */
export function serviceOfHost(host: string, vsNamespace: string, clusterDomain: string): GatewayKey | undefined {
  const fqdn = resolveShortName(host, vsNamespace, clusterDomain);
  const suffix = `.svc.${clusterDomain}`;
  if (!fqdn.endsWith(suffix) || fqdn.startsWith('*')) return undefined;
  const parts = fqdn.slice(0, -suffix.length).split('.');
  return parts.length === 2 ? { name: parts[0]!, namespace: parts[1]! } : undefined;
}
