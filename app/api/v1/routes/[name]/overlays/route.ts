import { observed, readJsonBody } from '@/lib/http/api';
import { changeOverlays, overlaysAnswer, parseOverlayChange, parseOverlayPatch, patchOverlays } from '@/lib/routes/overlays-api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Params = { name: string };

/** A route's overlays (canary, selective rules, resilience settings), what it inherits from the notebook defaults, and the Services it may route to. */
export const GET = observed<Params>('/api/v1/routes/[name]/overlays', getRuntime, async (_request, { params }) => Response.json(overlaysAnswer(getRuntime().features.overlays, params.name)));

/** Sets them: `{ overlays, dryRun }`; a dry run answers with the diff and the apiserver's verdict and stores nothing. */
export const PUT = observed<Params>('/api/v1/routes/[name]/overlays', getRuntime, async (request, { params, caller }) => {
  const rt = getRuntime();
  const change = parseOverlayChange(await readJsonBody(request, rt.config.proxy.maxBodyBytes));
  return Response.json(await changeOverlays(rt.features.overlays, params.name, change, caller.actor));
});

/** Sets or removes some sections (`{ overlays: { retries: {...}, timeout: null }, dryRun }`), keeping the others as they are stored then. */
export const PATCH = observed<Params>('/api/v1/routes/[name]/overlays', getRuntime, async (request, { params, caller }) => {
  const rt = getRuntime();
  const change = parseOverlayPatch(await readJsonBody(request, rt.config.proxy.maxBodyBytes));
  return Response.json(await patchOverlays(rt.features.overlays, params.name, change, caller.actor));
});
