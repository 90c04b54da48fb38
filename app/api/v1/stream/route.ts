import { freshness } from '@/lib/dashboard/api';
import { openLiveFeed } from '@/lib/dashboard/live';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const TIMING = { coalesceMs: 150, heartbeatMs: 5_000, maxNames: 20 };

/**
 * Server-Sent Events from the watch caches: a "change" event (at most every 150 ms) naming the kinds that
 * changed, and up to 20 names of each, with the new version and whether the caches are synced. The
 * browser refetches only what depends on those kinds; after a reconnect it refetches everything.
 */
export async function GET(request: Request) {
  const rt = getRuntime();
  const encoder = new TextEncoder();
  let cleanup = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const state = () => {
        const f = freshness(rt.features.dashboard);
        return { version: f.version, synced: f.synced };
      };
      cleanup = openLiveFeed(
        { state, onChange: (listener) => rt.dashboard.onChange(listener) },
        ({ event, data }) => controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)),
        TIMING,
      );
      request.signal.addEventListener('abort', () => {
        cleanup();
        try {
          controller.close();
        } catch {
          // already closed
        }
      });
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(stream, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive' } });
}
