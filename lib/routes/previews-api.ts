import { invalidField } from '../api-error';
import type { Caller } from '../auth/actor';
import { auditRouteChange } from './route-audit';
import { objectDiff, toYaml } from '../kube/object-diff';
import { promqlString } from '../mesh/traffic';
import type { Runtime } from '../runtime';
import { isPrometheusError } from '../telemetry/prometheus';
import { z } from 'zod';
import { fieldName, PREVIEW_COOKIE, previewInput, previewTtl } from './overlays';
import { shareLinkLocation, type PreviewView } from './previews';

const HITS_WINDOW = '1h';

function parse<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw invalidField(fieldName(issue.path) || 'body', issue.message);
}

function dryRunOf(body: unknown): boolean {
  const dryRun = (body as { dryRun?: unknown } | null)?.dryRun;
  if (dryRun !== undefined && typeof dryRun !== 'boolean') throw invalidField('dryRun', 'must be true or false');
  return dryRun === true;
}

function withoutDryRun(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const rest = { ...(body as Record<string, unknown>) };
  delete rest.dryRun;
  return rest;
}

/** The link a stakeholder opens: hubmesh sets the preview cookie there and sends them on to the preview's path. */
export const shareUrl = (origin: string, name: string) => `${origin}/preview/${encodeURIComponent(name)}`;

/** Requests to each preview's Service in the last hour, when Prometheus is configured and answers. */
async function hitsOf(rt: Runtime, previews: PreviewView[]): Promise<Map<string, number>> {
  const hits = new Map<string, number>();
  if (!rt.prometheus || previews.length === 0) return hits;
  const ns = promqlString(rt.connection.namespace);
  await Promise.all(
    previews.map(async (p) => {
      const query = `sum(increase(istio_requests_total{reporter="destination", destination_service_namespace=${ns}, destination_service_name=${promqlString(p.destination.service)}}[${HITS_WINDOW}]))`;
      try {
        const [sample] = await rt.prometheus!.queryVector(query);
        hits.set(p.name, sample ? Math.round(sample.value) : 0);
      } catch (error) {
        if (!isPrometheusError(error)) throw error;
        rt.log.debug({ err: error.message }, 'preview hits unavailable');
      }
    }),
  );
  return hits;
}

export async function previewsAnswer(rt: Runtime, origin: string) {
  const items = rt.previews.list();
  const hits = await hitsOf(rt, items);
  return {
    publicUrl: rt.config.previews.publicUrl,
    hitsWindow: rt.prometheus ? HITS_WINDOW : undefined,
    items: items.map((p) => ({ ...p, shareUrl: shareUrl(origin, p.name), hits: hits.get(p.name) })),
  };
}

type Change = Awaited<ReturnType<Runtime['previews']['remove']>>;

/** Answers a preview change with the diff and YAML; a real one is recorded as an Event on the route's VirtualService. */
async function answer(rt: Runtime, change: Change, dryRun: boolean, actor: string, action: string, note: string) {
  const result = { dryRun, preview: change.preview, diff: objectDiff(change.before, change.after), yaml: toYaml(change.after) };
  if (dryRun || rt.connection.mode !== 'cluster') return result;
  const audit = await auditRouteChange(rt, { virtualService: change.preview.virtualService, uid: change.after.metadata.uid, actor, action, note: `preview ${change.preview.name}: ${note}` });
  return { ...result, audit };
}

export async function createPreview(rt: Runtime, body: unknown, caller: Caller) {
  const dryRun = dryRunOf(body);
  const input = parse(previewInput, withoutDryRun(body));
  const actor = caller.actor;
  const change = await rt.previews.create(input, { owner: actor, isAdmin: caller.role === 'admin', dryRun });
  return answer(rt, change, dryRun, actor, 'CreatePreview', `created on ${change.preview.route} → ${change.preview.destination.service}, until ${change.preview.expiresAt}`);
}

export async function extendPreview(rt: Runtime, name: string, body: unknown, actor: string) {
  const dryRun = dryRunOf(body);
  const { ttl } = parse(z.strictObject({ ttl: previewTtl }), withoutDryRun(body));
  const change = await rt.previews.extend(name, ttl, { dryRun });
  return answer(rt, change, dryRun, actor, 'ExtendPreview', `extended until ${change.preview.expiresAt}`);
}

export async function deletePreview(rt: Runtime, name: string, actor: string) {
  const change = await rt.previews.remove(name, { dryRun: false });
  return answer(rt, change, false, actor, 'DeletePreview', 'deleted');
}

/**
 * The share link, opened on `origin`: the cookie that selects the preview (for as long as it lives) and
 * where to go, on the hub's public URL when it is set, else on `origin`; undefined when it is gone.
 */
export function shareLinkAnswer(rt: Runtime, name: string, origin: string): { location: string; cookie: string } | undefined {
  const preview = rt.previews.get(name);
  if (!preview || preview.expired) return undefined;
  const maxAge = Math.max(1, Math.floor((Date.parse(preview.expiresAt) - Date.now()) / 1000));
  return {
    location: shareLinkLocation(rt.config.previews.publicUrl ?? origin, preview.pathPrefix),
    cookie: `${PREVIEW_COOKIE}=${preview.name}; Path=/; Max-Age=${maxAge}; SameSite=Lax${rt.config.previews.publicUrl?.startsWith('https:') ? '; Secure' : ''}`,
  };
}
