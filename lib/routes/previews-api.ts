import type { Logger } from 'pino';
import { invalidField } from '../api-error';
import type { Caller } from '../auth/actor';
import type { RouteAudit } from './route-audit';
import { objectDiff, toYaml } from '../kube/object-diff';
import { promqlString } from '../telemetry/promql';
import { isPrometheusError, type PrometheusClient } from '../telemetry/prometheus';
import { z } from 'zod';
import { fieldName, PREVIEW_COOKIE, previewInput, previewTtl } from './overlays';
import { shareLinkLocation, shareUrl, type PreviewService, type PreviewView } from './previews';

export type PreviewsApiDeps = {
  previews: Pick<PreviewService, 'list' | 'get' | 'create' | 'extend' | 'remove'>;
  /** the hub namespace, where previews' Services are */
  namespace: string;
  /** the hub's public URL (HUBMESH_PUBLIC_URL), where share links send stakeholders */
  publicUrl: string | undefined;
  /** Istio's Prometheus, for previews' hits, when configured */
  prometheus: Pick<PrometheusClient, 'queryVector'> | undefined;
  /** cluster mode: applied changes are recorded as Events (local mode has none) */
  audit: RouteAudit | undefined;
  log: Logger;
  now: () => number;
};

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

/** Requests to each preview's Service in the last hour, when Prometheus is configured and answers. */
async function hitsOf(deps: PreviewsApiDeps, previews: PreviewView[]): Promise<Map<string, number>> {
  const hits = new Map<string, number>();
  const { prometheus } = deps;
  if (!prometheus || previews.length === 0) return hits;
  const ns = promqlString(deps.namespace);
  await Promise.all(
    previews.map(async (p) => {
      const query = `sum(increase(istio_requests_total{reporter="destination", destination_service_namespace=${ns}, destination_service_name=${promqlString(p.destination.service)}}[${HITS_WINDOW}]))`;
      try {
        const [sample] = await prometheus.queryVector(query);
        hits.set(p.name, sample ? Math.round(sample.value) : 0);
      } catch (error) {
        if (!isPrometheusError(error)) throw error;
        deps.log.debug({ err: error.message }, 'preview hits unavailable');
      }
    }),
  );
  return hits;
}

export async function previewsAnswer(deps: PreviewsApiDeps, origin: string) {
  const items = deps.previews.list();
  const hits = await hitsOf(deps, items);
  return {
    publicUrl: deps.publicUrl,
    hitsWindow: deps.prometheus ? HITS_WINDOW : undefined,
    items: items.map((p) => ({ ...p, shareUrl: shareUrl(origin, p.name), hits: hits.get(p.name) })),
  };
}

type Change = Awaited<ReturnType<PreviewService['remove']>>;

/** Answers a preview change with the diff and YAML; a real one is recorded as an Event on the route's VirtualService. */
async function answer(deps: PreviewsApiDeps, change: Change, dryRun: boolean, actor: string, action: string, note: string) {
  const result = { dryRun, preview: change.preview, diff: objectDiff(change.before, change.after), yaml: toYaml(change.after) };
  if (dryRun || !deps.audit) return result;
  const audit = await deps.audit({ virtualService: change.preview.virtualService, uid: change.after.metadata.uid, actor, action, note: `preview ${change.preview.name}: ${note}` });
  return { ...result, audit };
}

export async function createPreview(deps: PreviewsApiDeps, body: unknown, caller: Caller) {
  const dryRun = dryRunOf(body);
  const input = parse(previewInput, withoutDryRun(body));
  const actor = caller.actor;
  const change = await deps.previews.create(input, { owner: actor, isAdmin: caller.role === 'admin', dryRun });
  return answer(deps, change, dryRun, actor, 'CreatePreview', `created on ${change.preview.route} → ${change.preview.destination.service}, until ${change.preview.expiresAt}`);
}

export async function extendPreview(deps: PreviewsApiDeps, name: string, body: unknown, actor: string) {
  const dryRun = dryRunOf(body);
  const { ttl } = parse(z.strictObject({ ttl: previewTtl }), withoutDryRun(body));
  const change = await deps.previews.extend(name, ttl, { dryRun });
  return answer(deps, change, dryRun, actor, 'ExtendPreview', `extended until ${change.preview.expiresAt}`);
}

export async function deletePreview(deps: PreviewsApiDeps, name: string, actor: string) {
  const change = await deps.previews.remove(name, { dryRun: false });
  return answer(deps, change, false, actor, 'DeletePreview', 'deleted');
}

/**
 * The share link, opened on `origin`: the cookie that selects the preview (for as long as it lives) and
 * where to go, on the hub's public URL when it is set, else on `origin`; undefined when it is gone.
 */
export function shareLinkAnswer(deps: PreviewsApiDeps, name: string, origin: string): { location: string; cookie: string } | undefined {
  const preview = deps.previews.get(name);
  if (!preview || preview.expired) return undefined;
  const maxAge = Math.max(1, Math.floor((Date.parse(preview.expiresAt) - deps.now()) / 1000));
  return {
    location: shareLinkLocation(deps.publicUrl ?? origin, preview.pathPrefix),
    cookie: `${PREVIEW_COOKIE}=${preview.name}; Path=/; Max-Age=${maxAge}; SameSite=Lax${deps.publicUrl?.startsWith('https:') ? '; Secure' : ''}`,
  };
}
