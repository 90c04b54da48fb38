import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { VirtualService } from '@/lib/kube/virtualservices';
import { ANNOTATIONS } from '@/lib/kube/labels';
import { clients, eventually, HUB_NAMESPACE, uniqueName } from './helpers';
import { startHubmesh, type HubmeshProcess } from './hubmesh-process';

const vsGroup = { group: 'networking.istio.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'virtualservices' };
const { adminCore, adminCustom } = clients();
const adminToken = 'share-admin-token-0123456789';
const env = { HUBMESH_ADMIN_TOKEN: adminToken, HUBMESH_SESSION_SECRET: 'share-session-secret-0123456789abcdef' };
const prefix = `sl${uniqueName('x').slice(2)}`;
const demo = `demo-${prefix}`;
const publicUrl = 'https://hub.example.org';

const createPreview = (hm: HubmeshProcess, body: Record<string, unknown>) =>
  fetch(`${hm.url}/api/v1/previews`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` }, body: JSON.stringify({ service: demo, ttl: '1h', ...body }) });
const open = (hm: HubmeshProcess, name: string) => fetch(`${hm.url}/preview/${name}`, { redirect: 'manual' });

/** A preview written straight into the hub route's overlays annotation, as a hand edit or an older hubmesh would have. */
async function storeUnchecked(previews: Array<{ name: string; pathPrefix: string }>) {
  const hubVs = ((await adminCustom.listNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${prefix}` })) as { items: VirtualService[] }).items.find(
    (vs) => vs.metadata.annotations?.[ANNOTATIONS.route] === '/',
  )!;
  const now = Date.now();
  const overlays = {
    rules: [],
    previews: previews.map(({ name, pathPrefix }) => ({
      name,
      pathPrefix,
      destination: { service: demo },
      match: { header: true, cookie: true },
      owner: 'someone',
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 3600_000).toISOString(),
    })),
  };
  hubVs.metadata.annotations = { ...hubVs.metadata.annotations, [ANNOTATIONS.overlays]: JSON.stringify(overlays) };
  await adminCustom.replaceNamespacedCustomObject({ ...vsGroup, name: hubVs.metadata.name, body: hubVs });
}

describe('preview share links', () => {
  let hm: HubmeshProcess;
  let withPublicUrl: HubmeshProcess;

  beforeAll(async () => {
    await adminCore.createNamespacedService({ namespace: HUB_NAMESPACE, body: { metadata: { name: demo }, spec: { selector: { app: demo }, ports: [{ name: 'http', port: 80 }] } } });
    hm = await startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix, env });
    // a second replica of the same hubmesh, behind the hub's public URL
    withPublicUrl = await startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix, env: { ...env, HUBMESH_PUBLIC_URL: publicUrl }, token: hm.token });
    expect((await hm.api('/api/routes/', { method: 'POST', body: JSON.stringify({ target: 'http://hub:8081' }) })).status).toBe(201);
  });

  afterAll(async () => {
    await Promise.all([hm?.stop(), withPublicUrl?.stop()]);
    await adminCustom.deleteCollectionNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${prefix}` });
    await adminCore.deleteNamespacedService({ namespace: HUB_NAMESPACE, name: demo }).catch(() => undefined);
  });

  it('refuses a path prefix a browser would read as another host, naming the field', async () => {
    for (const pathPrefix of ['/\\evil.example', '/\\/evil.example', '//evil.example', '/./evil.example', '/\t/evil.example', '/\n/evil.example', 'https://evil.example']) {
      const r = await createPreview(hm, { name: uniqueName('bad'), pathPrefix });
      expect(r.status, JSON.stringify(pathPrefix)).toBe(400);
      expect((await r.json()).error, JSON.stringify(pathPrefix)).toMatch(/^pathPrefix: /);
    }
  });

  it('sends a preview on a non-Latin path to it, percent-encoded, on the origin the link was opened on or the public URL', async () => {
    const name = uniqueName('unicode');
    expect((await createPreview(hm, { name, pathPrefix: '/秀樹' })).status).toBe(201);
    const link = await open(hm, name);
    expect(link.status).toBe(302);
    expect(link.headers.get('location')).toBe(`${hm.url}/%E7%A7%80%E6%A8%B9/`);
    expect(link.headers.get('set-cookie')).toMatch(new RegExp(`^hubmesh-preview=${name}; Path=/; Max-Age=\\d+; SameSite=Lax$`));
    const viaPublicUrl = await eventually(async () => {
      const r = await open(withPublicUrl, name);
      return r.status === 302 ? r : undefined;
    }, 'the second replica to see the preview');
    expect(viaPublicUrl.headers.get('location')).toBe(`${publicUrl}/%E7%A7%80%E6%A8%B9/`);
    expect(viaPublicUrl.headers.get('set-cookie')).toMatch(/; Secure$/);
  });

  it('keeps the browser on the origin for previews stored with a hostile path, bypassing validation', async () => {
    const stored = [
      { name: uniqueName('backslash'), pathPrefix: '/\\evil.example', path: '/%5Cevil.example/' },
      { name: uniqueName('slash-backslash'), pathPrefix: '/\\/evil.example', path: '/%5C/evil.example/' },
      { name: uniqueName('at'), pathPrefix: '/@evil.example', path: '/@evil.example/' },
    ];
    await storeUnchecked(stored);
    for (const { name, path } of stored) {
      for (const [replica, origin] of [
        [hm, hm.url],
        [withPublicUrl, publicUrl],
      ] as const) {
        const link = await eventually(async () => {
          const r = await open(replica, name);
          return r.status === 302 ? r : undefined;
        }, `${name} to be served`);
        const location = link.headers.get('location')!;
        expect(location, name).toBe(`${origin}${path}`);
        expect(new URL(location).origin).toBe(origin);
      }
    }
  });
});
