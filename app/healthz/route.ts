// Liveness: the process serves HTTP. Kubernetes restarts the pod when this fails.
export const dynamic = 'force-dynamic';

export async function GET() {
  return Response.json({ status: 'ok' });
}
