import YAML from 'yaml';
import { ApiError } from '@/lib/api-error';
import { observed } from '@/lib/http/api';
import { parseJson } from '@/lib/json';
import { getRuntime } from '@/lib/runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** One route by its VirtualService name: the joined row, the route data, and the object as YAML. */
export const GET = observed<{ name: string }>('/api/v1/routes/[name]', getRuntime, async (_request, { params: { name } }) => {
  const rt = getRuntime();
  const vs = rt.virtualServices.cache.get(name);
  const row = rt.dashboard.dashboard().routes.find((r) => r.virtualService === name);
  if (!vs || !row) throw new ApiError(404, 'not-found', `no route with VirtualService ${JSON.stringify(name)}`);
  const data = rt.routes.getJson(row.path);
  return Response.json({ row, data: data ? parseJson(data) : null, yaml: YAML.stringify(vs) });
});
