/**
 * A response whose body is pulled from `chunks` as the client reads it: a reply of many megabytes is
 * never held whole, and a slow reader holds one piece at a time.
 */
export function streamedResponse(chunks: Iterator<string>, init: ResponseInit): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const next = chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      },
      cancel() {
        chunks.return?.();
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, init);
}
