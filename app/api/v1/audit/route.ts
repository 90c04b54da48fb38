import { localModeError } from '@/lib/api-error';
import { observed } from '@/lib/http/api';
import { getRuntime } from '@/lib/runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** hubmesh's audit trail, read from the Kubernetes Events its actions recorded (kept as long as the apiserver's --event-ttl). */
export const GET = observed('/api/v1/audit', getRuntime, async () => {
  const { actions } = getRuntime().features.mesh;
  if (!actions) throw localModeError('the audit trail lives in Kubernetes Events');
  return Response.json({ items: await actions.auditTrail() });
});
