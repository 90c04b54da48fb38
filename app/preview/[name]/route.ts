import { ApiError } from '@/lib/api-error';
import { observed, requestOrigin } from '@/lib/http/api';
import { shareLinkAnswer } from '@/lib/routes/previews-api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** A browser gets a page it can show; anything else (scripts, the hub) the JSON error of every other 4xx. */
function gone(name: string, accept: string | null): Response {
  if (!accept?.includes('text/html')) throw new ApiError(404, 'not-found', `no preview ${JSON.stringify(name)}: it does not exist or has expired`);
  return new Response(`<!doctype html><title>Preview not found</title><p>The preview <b>${name.replace(/[<>&"]/g, '')}</b> does not exist or has expired. Ask its owner for a new link.</p>`, {
    status: 404,
    headers: { 'content-type': 'text/html; charset=utf-8' },
  });
}

/** A preview's share link, for a plain browser: sets the preview cookie and redirects to the preview's path. No sign-in. */
export const GET = observed<{ name: string }>('/preview/[name]', getRuntime, async (request, { params: { name } }) => {
  const link = shareLinkAnswer(getRuntime().features.previews, name, requestOrigin(request));
  if (!link) return gone(name, request.headers.get('accept'));
  return new Response(null, { status: 302, headers: { location: link.location, 'set-cookie': link.cookie, 'cache-control': 'no-store' } });
});
