import type { Logger } from 'pino';
import { invalidField } from '../api-error';
import type { Caller } from '../auth/actor';
import type { ChangeKind, ChangePipeline } from '../changes/pipeline';
import { routeChangeRecord } from './route-audit';
import { toYaml } from '../kube/object-diff';
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
  /** applies and audits the changes (as Events too, in cluster mode) */
  changes: ChangePipeline;
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

type PreviewChange = Awaited<ReturnType<PreviewService['remove']>>;

/**
 * A preview's change to its route's VirtualService: planned from the request's body, then validated and
 * written by PreviewService (dry run included); the audit names the preview.
 */
function previewChange<Plan>(
  action: string,
  plan: (body: unknown) => Plan,
  write: (plan: Plan, options: { dryRun: boolean }) => Promise<PreviewChange>,
  note: (change: PreviewChange) => string,
): ChangeKind<unknown, Plan, PreviewChange> {
  return { plan, write, applied: (_plan, change) => routeChangeRecord(action, change.after, `preview ${change.preview.name}: ${note(change)}`) };
}

/** Answers a preview change with the diff and YAML; a real one is recorded as an Event on the route's VirtualService. */
async function answer<Plan>(deps: PreviewsApiDeps, kind: ChangeKind<unknown, Plan, PreviewChange>, body: unknown, dryRun: boolean, actor: string) {
  const { preview, after, diff, audit } = await deps.changes.run(kind, body, { actor, dryRun });
  return { dryRun, preview, diff, yaml: toYaml(after), ...(audit ? { audit } : {}) };
}

export async function createPreview(deps: PreviewsApiDeps, body: unknown, caller: Caller) {
  const created = previewChange(
    'CreatePreview',
    (input) => parse(previewInput, withoutDryRun(input)),
    (input, { dryRun }) => deps.previews.create(input, { owner: caller.actor, isAdmin: caller.role === 'admin', dryRun }),
    ({ preview }) => `created on ${preview.route} → ${preview.destination.service}, until ${preview.expiresAt}`,
  );
  return answer(deps, created, body, dryRunOf(body), caller.actor);
}

export async function extendPreview(deps: PreviewsApiDeps, name: string, body: unknown, actor: string) {
  const extended = previewChange(
    'ExtendPreview',
    (input) => parse(z.strictObject({ ttl: previewTtl }), withoutDryRun(input)).ttl,
    (ttl, { dryRun }) => deps.previews.extend(name, ttl, { dryRun }),
    ({ preview }) => `extended until ${preview.expiresAt}`,
  );
  return answer(deps, extended, body, dryRunOf(body), actor);
}

export async function deletePreview(deps: PreviewsApiDeps, name: string, actor: string) {
  const deleted = previewChange('DeletePreview', () => name, (previewName) => deps.previews.remove(previewName, { dryRun: false }), () => 'deleted');
  return answer(deps, deleted, undefined, false, actor);
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
