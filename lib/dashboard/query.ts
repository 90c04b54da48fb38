import { z } from 'zod';
import { POD_WARNING_CODES } from '../mesh/types';
import { paginate, type Page, type PodRow, type RouteRow, type UserRow } from './view';

const base = {
  q: z.string().trim().max(200).optional(),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(500).default(50),
  order: z.enum(['asc', 'desc']).default('asc'),
};

export const routeQuery = z.object({
  ...base,
  status: z.enum(['ok', 'degraded']).optional(),
  user: z.string().max(200).optional(),
  sort: z.enum(['path', 'user', 'target', 'status', 'lastActivity', 'age']).default('path'),
});

export const podQuery = z.object({
  ...base,
  warning: z.enum(['any', 'none', ...POD_WARNING_CODES]).optional(),
  dataplane: z.enum(['sidecar', 'ambient', 'none']).optional(),
  phase: z.string().max(40).optional(),
  sort: z.enum(['name', 'user', 'status', 'restarts', 'age']).default('name'),
});

export const userQuery = z.object({ ...base, sort: z.enum(['user', 'warnings']).default('user') });

type Sortable = string | number | undefined;
function sortRows<T>(rows: T[], key: (row: T) => Sortable, order: 'asc' | 'desc'): T[] {
  const dir = order === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = key(a) ?? '';
    const y = key(b) ?? '';
    return (x < y ? -1 : x > y ? 1 : 0) * dir;
  });
}

const contains = (q: string | undefined, ...fields: Array<string | undefined>) =>
  !q || fields.some((f) => f?.toLowerCase().includes(q.toLowerCase()));

export function queryRoutes(rows: RouteRow[], q: z.infer<typeof routeQuery>): Page<RouteRow> {
  const filtered = rows.filter(
    (r) =>
      contains(q.q, r.path, r.user, r.target, r.destination, r.virtualService) &&
      (!q.status || r.status === q.status) &&
      (q.user === undefined || r.user === q.user),
  );
  const key: Record<typeof q.sort, (r: RouteRow) => Sortable> = {
    path: (r) => r.path,
    user: (r) => r.user,
    target: (r) => r.target,
    status: (r) => r.status,
    lastActivity: (r) => r.lastActivity,
    age: (r) => r.createdAt,
  };
  return paginate(sortRows(filtered, key[q.sort], q.order), q.page, q.pageSize);
}

export function queryPods(rows: PodRow[], q: z.infer<typeof podQuery>): Page<PodRow> {
  const filtered = rows.filter(
    (p) =>
      contains(q.q, p.name, p.user, p.node, p.status) &&
      (!q.phase || p.phase === q.phase) &&
      (!q.dataplane || p.dataplane === q.dataplane) &&
      (!q.warning ||
        (q.warning === 'any' ? p.warnings.length > 0 : q.warning === 'none' ? p.warnings.length === 0 : p.warnings.some((w) => w.code === q.warning))),
  );
  const key: Record<typeof q.sort, (p: PodRow) => Sortable> = {
    name: (p) => p.name,
    user: (p) => p.user,
    status: (p) => p.status,
    restarts: (p) => p.restarts,
    age: (p) => p.createdAt,
  };
  return paginate(sortRows(filtered, key[q.sort], q.order), q.page, q.pageSize);
}

export function queryUsers(rows: UserRow[], q: z.infer<typeof userQuery>): Page<UserRow> {
  const filtered = rows.filter((u) => contains(q.q, u.user, ...u.servers.map((s) => s.pod)));
  const key: Record<typeof q.sort, (u: UserRow) => Sortable> = { user: (u) => u.user, warnings: (u) => u.warnings };
  return paginate(sortRows(filtered, key[q.sort], q.order), q.page, q.pageSize);
}
