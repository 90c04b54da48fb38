import { secretsEqual } from './secrets';

/**
 * admin: everything. viewer: sees everything, changes nothing. engineer: sees everything and manages
 * previews only (an engineer token, for CI that opens previews).
 */
export type Role = 'admin' | 'viewer' | 'engineer';

export type RoleGroups = { adminGroups: readonly string[]; readOnlyGroups: readonly string[] };

/** A hub user's role in hubmesh: hub admins and admin-group members are admins; read-only-group members are viewers; anyone else is undefined (403). */
export function roleOf(user: { admin: boolean; groups: readonly string[] }, groups: RoleGroups): 'admin' | 'viewer' | undefined {
  if (user.admin || user.groups.some((g) => groups.adminGroups.includes(g))) return 'admin';
  if (user.groups.some((g) => groups.readOnlyGroups.includes(g))) return 'viewer';
  return undefined;
}

const readMethods = new Set(['GET', 'HEAD', 'OPTIONS']);
const previewMutations = new Set(['POST', 'PATCH', 'DELETE']);

/** The path's segments, or undefined when it is not a plain absolute path (dot segments, encoded slashes or dots, a query). */
function segmentsOf(path: string): string[] | undefined {
  if (!path.startsWith('/') || /[?#\\]/.test(path)) return undefined;
  const segments = path.split('/').slice(1);
  if (segments.some((s) => s === '.' || s === '..' || /%(2e|2f|5c)/i.test(s))) return undefined;
  return segments;
}

const isSignOut = (method: string, path: string) => method === 'DELETE' && path === '/api/v1/session';

/** Whether a role may make this request (method, URL pathname). Reading needs no more than a role; sign-out is everyone's. */
export function may(role: Role, method: string, path: string): boolean {
  const m = method.toUpperCase();
  if (role === 'admin') return true;
  if (readMethods.has(m)) return true;
  if (isSignOut(m, path)) return true;
  if (role === 'viewer') return false;
  const segments = segmentsOf(path);
  return segments !== undefined && previewMutations.has(m) && segments[0] === 'api' && segments[1] === 'v1' && segments[2] === 'previews';
}

export type EngineerToken = { name: string; token: string };

const engineerName = /^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$/;

/**
 * HUBMESH_ENGINEER_TOKENS: "name:token,name2:token2". Names are what audit Events show (`engineer:<name>`);
 * tokens must be at least 16 characters and distinct. Throws an Error naming the bad entry (never its token).
 */
export function parseEngineerTokens(value: string | undefined): EngineerToken[] {
  if (!value?.trim()) return [];
  const entries = value.split(',').map((e) => e.trim()).filter(Boolean);
  const parsed = entries.map((entry, i) => {
    const colon = entry.indexOf(':');
    const name = colon < 0 ? '' : entry.slice(0, colon);
    const token = colon < 0 ? '' : entry.slice(colon + 1);
    if (!engineerName.test(name)) throw new Error(`entry ${i + 1} must be name:token with a name of lower-case letters, digits, ".", "_" and "-"`);
    if (token.length < 16) throw new Error(`the token of "${name}" must be at least 16 characters`);
    return { name, token };
  });
  const names = new Set(parsed.map((e) => e.name));
  if (names.size !== parsed.length) throw new Error('engineer names must be distinct');
  if (new Set(parsed.map((e) => e.token)).size !== parsed.length) throw new Error('engineer tokens must be distinct');
  return parsed;
}

const BEARER = /^Bearer\s+(\S+)$/i;

/** The engineer a bearer token belongs to, comparing against every token in constant time; undefined when none matches. */
export function engineerFromBearer(tokens: readonly EngineerToken[], authorization: string | null): { role: 'engineer'; actor: string } | undefined {
  const given = BEARER.exec(authorization ?? '')?.[1];
  if (given === undefined) return undefined;
  let match: EngineerToken | undefined;
  for (const entry of tokens) {
    // no early exit: the time taken does not tell which entry (or whether any) matched
    if (secretsEqual(given, entry.token)) match = entry;
  }
  return match && { role: 'engineer', actor: `engineer:${match.name}` };
}
