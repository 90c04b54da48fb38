import type { NextRequest } from 'next/server';
import { observed, readJsonBody, requestOrigin } from '@/lib/http/api';
import { createPreview, previewsAnswer } from '@/lib/routes/previews-api';
import { shareUrl } from '@/lib/routes/previews';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Every preview on every route, with its share link, expiry and recent hits. */
export const GET = observed('/api/v1/previews', getRuntime, async (request: NextRequest) => Response.json(await previewsAnswer(getRuntime().features.previews, requestOrigin(request))));

/** Creates a preview: `{ name, pathPrefix?, service, port?, match?, ttl, allowShadow?, dryRun? }`; the caller is its owner. */
export const POST = observed('/api/v1/previews', getRuntime, async (request, { caller }) => {
  const rt = getRuntime();
  const result = await createPreview(rt.features.previews, await readJsonBody(request, rt.config.proxy.maxBodyBytes), caller);
  return Response.json({ ...result, shareUrl: shareUrl(requestOrigin(request), result.preview.name) }, { status: result.dryRun ? 200 : 201 });
});
