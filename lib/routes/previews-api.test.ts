import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { VirtualService } from '../kube/virtualservices';
import { PrometheusError } from '../telemetry/prometheus';
import { createPreview, deletePreview, previewsAnswer, shareLinkAnswer, type PreviewsApiDeps } from './previews-api';
import type { PreviewChange, PreviewView } from './previews';
import { recordingPipeline } from '../changes/test-fixtures';

const NOW = Date.parse('2026-11-24T10:00:00.000Z');
const view = (name: string, service: string, over: Partial<PreviewView> = {}): PreviewView => ({
  name,
  pathPrefix: '/user/alice/lab',
  destination: { service },
  match: { header: true, cookie: true },
  owner: 'alice',
  createdAt: '2026-11-24T09:00:00.000Z',
  expiresAt: '2026-11-24T11:00:00.000Z',
  route: '/user/alice',
  virtualService: 'hubmesh-user-alice',
  expired: false,
  ...over,
});
const vs = (uid: string, previews: number): VirtualService => ({ metadata: { name: 'hubmesh-user-alice', namespace: 'hub', uid, annotations: { previews: String(previews) } }, spec: {} });

/** A preview service over a fixed list whose changes are recorded, Prometheus answering from `hits`, and the audits recorded. */
function fakes(options: { previews?: PreviewView[]; hits?: (query: string) => Promise<number | undefined>; audit?: boolean; publicUrl?: string } = {}) {
  const items = options.previews ?? [view('new-ui', 'demo-ui')];
  const calls: unknown[][] = [];
  const pipeline = recordingPipeline({ events: options.audit !== false });
  const queries: string[] = [];
  const change = (preview: PreviewView): PreviewChange => ({ preview, before: vs('uid-1', 0), after: vs('uid-1', 1) });
  const hits = options.hits;
  const deps: PreviewsApiDeps = {
    previews: {
      list: () => items,
      get: (name) => items.find((p) => p.name === name),
      create: async (input, opts) => (calls.push(['create', input, opts]), change(view(input.name, input.service))),
      extend: async (name, ttl, opts) => (calls.push(['extend', name, ttl, opts]), change(view(name, 'demo-ui'))),
      remove: async (name, opts) => (calls.push(['remove', name, opts]), change(view(name, 'demo-ui'))),
    },
    namespace: 'hub',
    publicUrl: options.publicUrl,
    prometheus: hits && {
      queryVector: async (query) => {
        queries.push(query);
        const value = await hits(query);
        return value === undefined ? [] : [{ metric: {}, time: NOW / 1000, value }];
      },
    },
    changes: pipeline.changes,
    log: pino({ level: 'silent' }),
    now: () => NOW,
  };
  return { deps, calls, audits: pipeline.events, queries };
}

describe('previewsAnswer', () => {
  it("gives each preview its share link and its Service's requests in the last hour", async () => {
    const { deps, queries } = fakes({ previews: [view('new-ui', 'demo-ui'), view('quiet', 'demo-quiet')], hits: async (q) => (q.includes('"demo-ui"') ? 41.6 : undefined) });
    const answer = await previewsAnswer(deps, 'https://hub.example');
    expect(answer.hitsWindow).toBe('1h');
    expect(answer.items.map((p) => [p.name, p.shareUrl, p.hits])).toEqual([
      ['new-ui', 'https://hub.example/preview/new-ui', 42],
      ['quiet', 'https://hub.example/preview/quiet', 0],
    ]);
    expect(queries[0]).toBe('sum(increase(istio_requests_total{reporter="destination", destination_service_namespace="hub", destination_service_name="demo-ui"}[1h]))');
  });

  it('leaves hits out when Prometheus is not configured, or for the previews whose query it could not answer', async () => {
    const unconfigured = await previewsAnswer(fakes().deps, 'https://hub.example');
    expect(unconfigured.hitsWindow).toBeUndefined();
    expect(unconfigured.items[0]).toMatchObject({ name: 'new-ui', hits: undefined });

    const down = fakes({ hits: () => Promise.reject(new PrometheusError('unreachable', 'connect ECONNREFUSED')) });
    expect((await previewsAnswer(down.deps, 'https://hub.example')).items[0]).toMatchObject({ name: 'new-ui', hits: undefined });

    const broken = fakes({ hits: () => Promise.reject(new TypeError('a bug')) });
    await expect(previewsAnswer(broken.deps, 'https://hub.example')).rejects.toThrow('a bug');
  });
});

describe('createPreview and deletePreview', () => {
  const input = { name: 'new-ui', pathPrefix: '/user/alice/lab', service: 'demo-ui', ttl: '1h' };

  it('create with the caller as owner, answer with the diff and YAML, and record the change', async () => {
    const { deps, calls, audits } = fakes();
    const result = await createPreview(deps, input, { actor: 'alice', role: 'engineer' });
    expect(calls).toEqual([['create', expect.objectContaining({ name: 'new-ui', service: 'demo-ui', ttl: 3_600_000 }), { owner: 'alice', isAdmin: false, dryRun: false }]]);
    expect(result).toMatchObject({ dryRun: false, preview: { name: 'new-ui' }, audit: { recorded: true } });
    expect(result.yaml).toContain('previews: "1"');
    expect(audits).toEqual([
      {
        actor: 'alice',
        action: 'CreatePreview',
        regarding: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'hub', name: 'hubmesh-user-alice', uid: 'uid-1' },
        reason: 'AppliedByHubmesh',
        type: 'Normal',
        note: 'preview new-ui: created on /user/alice → demo-ui, until 2026-11-24T11:00:00.000Z',
      },
    ]);

    await deletePreview(deps, 'new-ui', 'admin');
    expect(audits[1]).toMatchObject({ actor: 'admin', action: 'DeletePreview', note: 'preview new-ui: deleted' });
  });

  it('record nothing for a dry run, nor where there are no Events (local mode)', async () => {
    const dry = fakes();
    expect(await createPreview(dry.deps, { ...input, dryRun: true }, { actor: 'admin', role: 'admin' })).not.toHaveProperty('audit');
    expect(dry.calls[0]![2]).toEqual({ owner: 'admin', isAdmin: true, dryRun: true });
    expect(dry.audits).toEqual([]);
    const local = fakes({ audit: false });
    expect(await createPreview(local.deps, input, { actor: 'admin', role: 'admin' })).not.toHaveProperty('audit');
  });

  it('refuse a bad body with the field that is wrong, before anything is written', async () => {
    const { deps, calls } = fakes();
    await expect(createPreview(deps, { ...input, dryRun: 'yes' }, { actor: 'alice', role: 'engineer' })).rejects.toMatchObject({ status: 400, message: 'dryRun: must be true or false' });
    await expect(createPreview(deps, { ...input, service: 'Not A Name' }, { actor: 'alice', role: 'engineer' })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^service: /) });
    expect(calls).toEqual([]);
  });
});

describe('shareLinkAnswer', () => {
  it('sets the cookie for as long as the preview lives and sends the browser to its path', () => {
    expect(shareLinkAnswer(fakes().deps, 'new-ui', 'http://hubmesh.local')).toEqual({
      location: 'http://hubmesh.local/user/alice/lab/',
      cookie: 'hubmesh-preview=new-ui; Path=/; Max-Age=3600; SameSite=Lax',
    });
  });

  it("sends the browser to the hub's public URL when it is set, with a Secure cookie on https", () => {
    expect(shareLinkAnswer(fakes({ publicUrl: 'https://hub.example' }).deps, 'new-ui', 'http://hubmesh.local')).toEqual({
      location: 'https://hub.example/user/alice/lab/',
      cookie: 'hubmesh-preview=new-ui; Path=/; Max-Age=3600; SameSite=Lax; Secure',
    });
  });

  it('has nothing for a preview that is gone or has expired', () => {
    const { deps } = fakes({ previews: [view('old', 'demo-ui', { expired: true })] });
    expect(shareLinkAnswer(deps, 'old', 'http://hubmesh.local')).toBeUndefined();
    expect(shareLinkAnswer(deps, 'never', 'http://hubmesh.local')).toBeUndefined();
  });
});
