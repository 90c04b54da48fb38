import { observed, readJsonBody } from '@/lib/http/api';
import { deletePreview, extendPreview } from '@/lib/routes/previews-api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Params = { name: string };

/** Extends a preview: `{ ttl, dryRun? }`, counted from now. */
export const PATCH = observed<Params>('/api/v1/previews/[name]', getRuntime, async (request, { params, caller }) => {
  const rt = getRuntime();
  return Response.json(await extendPreview(rt.features.previews, params.name, await readJsonBody(request, rt.config.proxy.maxBodyBytes), caller.actor));
});

export const DELETE = observed<Params>('/api/v1/previews/[name]', getRuntime, async (_request, { params, caller }) => Response.json(await deletePreview(getRuntime().features.previews, params.name, caller.actor)));
