import { isIP } from 'node:net';

export type ParsedTarget =
  | { kind: 'host'; host: string; port: number; scheme: 'http' | 'https' }
  | { kind: 'ip'; ip: string; port: number; scheme: 'http' | 'https' };

export type TargetResult = { ok: true; target: ParsedTarget } | { ok: false; error: string };

/**
 * Reads a hub target ("proto://host:port", optionally with a path that CHP puts before the request's
 * path: the renderer gives that to Istio as a rewrite). Kubernetes service names are expanded to
 * their full name the way cluster DNS would from the hub namespace: "hub" and "hub.ns" and
 * "hub.ns.svc" all become "hub.ns.svc.<clusterDomain>". IP addresses are returned as such, for the
 * caller to resolve to a Service.
 */
export function parseTarget(target: string, namespace: string, clusterDomain: string): TargetResult {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return { ok: false, error: `target ${JSON.stringify(target)} is not a URL such as http://jupyter-alice:8888` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, error: `target ${JSON.stringify(target)} must use http or https` };
  }
  if (url.search || url.hash || target.includes('?') || target.includes('#')) {
    // CHP would paste the request path after the query ("/x?a=1/user/..."): nothing a rewrite can say
    return { ok: false, error: `target ${JSON.stringify(target)} must not have a query or fragment: CHP joins the request path after the target's path, which a query would break` };
  }
  if (url.username || url.password) return { ok: false, error: `target ${JSON.stringify(target)} must not carry credentials` };
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  const port = url.port ? Number(url.port) : scheme === 'https' ? 443 : 80;
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(hostname)) return { ok: true, target: { kind: 'ip', ip: hostname, port, scheme } };
  const host = hostname.toLowerCase().replace(/\.$/, '');
  const labels = host.split('.');
  let fqdn: string;
  if (host.endsWith(`.svc.${clusterDomain}`)) fqdn = host;
  else if (labels.length === 1) fqdn = `${host}.${namespace}.svc.${clusterDomain}`;
  else if (labels.length === 2) fqdn = `${host}.svc.${clusterDomain}`;
  else if (labels.length === 3 && labels[2] === 'svc') fqdn = `${host}.${clusterDomain}`;
  else fqdn = host; // a name outside the cluster: Istio needs a ServiceEntry for it
  return { ok: true, target: { kind: 'host', host: fqdn, port, scheme } };
}
