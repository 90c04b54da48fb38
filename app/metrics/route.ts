import { getRuntime } from '@/lib/current-runtime';

// Prometheus scrape endpoint.
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET() {
  const { registry } = getRuntime().metrics;
  return new Response(await registry.metrics(), { headers: { 'content-type': registry.contentType } });
}
