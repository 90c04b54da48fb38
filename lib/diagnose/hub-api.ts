import { z } from 'zod';
import type { HubState } from './types';

/** The hub's REST API as hubmesh reaches it, with the token of hubmesh's hub service. */
export type HubApi = {
  /** JUPYTERHUB_API_URL, e.g. http://hub:8081/hub/api */
  apiUrl: string;
  /** the service's api_token (HUBMESH_HUB_CLIENT_SECRET); it needs the read:users and read:servers scopes */
  token: string;
  timeoutMs?: number;
};

const hubServer = z.object({ name: z.string(), url: z.string(), ready: z.boolean(), pending: z.string().nullable().optional() });
const hubUser = z.object({ name: z.string(), servers: z.record(z.string(), hubServer).optional() });

/**
 * What the hub says of a user and their servers (GET /users/<name>): the servers' URLs, which carry the hub's
 * base_url, and whether each is ready. A hub that cannot be asked, refuses the token or answers nonsense is
 * `unavailable`, with why; an unknown user is `ok` without a user.
 */
export async function askHubAboutUser(api: HubApi, user: string): Promise<HubState> {
  const url = `${api.apiUrl.replace(/\/+$/, '')}/users/${encodeURIComponent(user)}`;
  const timeoutMs = api.timeoutMs ?? 5000;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let status: number;
  let text: string;
  try {
    const response = await fetch(url, { headers: { authorization: `token ${api.token}`, accept: 'application/json' }, signal: abort.signal, redirect: 'manual' });
    status = response.status;
    text = await response.text();
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = abort.signal.aborted ? `no answer within ${timeoutMs} ms` : (cause?.code ?? cause?.message ?? String(error));
    return { state: 'unavailable', message: `JupyterHub at ${api.apiUrl} is unreachable: ${why}` };
  } finally {
    clearTimeout(timer);
  }
  if (status === 404) return { state: 'ok', user: undefined };
  if (status === 401 || status === 403) return { state: 'unavailable', message: `JupyterHub refused hubmesh's token (${status}): the hubmesh service needs the read:users and read:servers scopes` };
  if (status !== 200) return { state: 'unavailable', message: `JupyterHub answered ${status} to GET /users/${user}` };
  let parsed: z.infer<typeof hubUser>;
  try {
    parsed = hubUser.parse(JSON.parse(text));
  } catch {
    return { state: 'unavailable', message: `JupyterHub answered GET /users/${user} with an unexpected body` };
  }
  const servers = parsed.servers && Object.fromEntries(Object.entries(parsed.servers).map(([name, s]) => [name, { name: s.name, url: s.url, ready: s.ready, pending: s.pending ?? null }]));
  return { state: 'ok', user: { name: parsed.name, servers } };
}
