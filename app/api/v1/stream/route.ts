import { freshness } from '@/lib/dashboard/api';
import { getRuntime } from '@/lib/runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const COALESCE_MS = 150;
const HEARTBEAT_MS = 5_000;

/**
 * Server-Sent Events from the watch caches: a "change" event (at most every 150 ms) whenever a
 * route, pod or Service changes, carrying the new version and whether the caches are synced. The
 * browser then refetches what it shows; after a reconnect it refetches everything.
 */
export async function GET(request: Request) {
  const rt = getRuntime();
  const encoder = new TextEncoder();
  let cleanup = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (event: string, data: unknown) => controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
      const state = () => {
        const f = freshness(rt.features.dashboard);
        return { version: f.version, synced: f.synced };
      };
      send('hello', state());
      let timer: ReturnType<typeof setTimeout> | undefined;
      const unsubscribe = rt.dashboard.onChange(() => {
        timer ??= setTimeout(() => {
          timer = undefined;
          send('change', state());
        }, COALESCE_MS);
      });
      // sync state can change without an object changing (a watch drops): report it with the heartbeat
      const heartbeat = setInterval(() => send('status', state()), HEARTBEAT_MS);
      cleanup = () => {
        unsubscribe();
        clearInterval(heartbeat);
        if (timer) clearTimeout(timer);
      };
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
