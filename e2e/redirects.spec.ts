import { randomBytes } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { expect, test, type Page } from '@playwright/test';
import type { VirtualService } from '../lib/kube/virtualservices';
import { ANNOTATIONS } from '../lib/kube/labels';
import { E2E } from '../playwright.config';
import { clusterPaths } from '../test/cluster/harness';
import { routeVirtualService, withHubRouteAndService } from './cluster';

const origin = `http://127.0.0.1:${E2E.clusterPort}`;
const namespace = 'jupyterhub';
const run = randomBytes(3).toString('hex');
const service = `redirects-${run}`;
const kc = new KubeConfig();
kc.loadFromFile(clusterPaths().adminKubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);

/** Signs in through the login page, reached with `query` as the attacker wrote it; answers where the browser ends up. */
async function signInWith(page: Page, query: string): Promise<URL> {
  await page.context().clearCookies();
  await page.goto(`/login?${query}`);
  await page.getByLabel('Admin token').fill(E2E.adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname !== '/login');
  return new URL(page.url());
}

test.describe('after sign-in', () => {
  // each `next` as it would travel in a link; an unprotected login page took some of them to 127.0.0.1:4299
  const hostile = [
    'next=/%5C127.0.0.1:4299/x',
    'next=/%5C%5C127.0.0.1:4299/x',
    'next=%5C%5C127.0.0.1:4299/x',
    'next=/%09/127.0.0.1:4299/x',
    'next=/%0A/127.0.0.1:4299/x',
    'next=/%0D/127.0.0.1:4299/x',
    'next=%2F%2F127.0.0.1:4299/x',
    'next=//127.0.0.1:4299/x',
    'next=/%2F127.0.0.1:4299/x',
    'next=/a/..//127.0.0.1:4299/x',
    'next=/%2e%2e//127.0.0.1:4299/x',
    'next=http://127.0.0.1:4299/x',
    'next=https:127.0.0.1:4299',
    'next=javascript:alert(document.domain)',
    `next=${encodeURIComponent('/\t/127.0.0.1:4299/x')}`,
    'next=/x&next=//127.0.0.1:4299/x',
  ];

  for (const query of hostile) {
    test(`stays on the server for ${query}`, async ({ page }) => {
      const landed = await signInWith(page, query);
      expect(landed.origin).toBe(origin);
      expect(landed.pathname).toBe('/');
    });
  }

  test('keeps encoded look-alikes as paths on the server', async ({ page }) => {
    const lookAlikes: Array<[string, string]> = [
      ['next=/%255C127.0.0.1:4299/x', '/%5C127.0.0.1:4299/x'],
      ['next=/%252F%252F127.0.0.1:4299', '/%2F%2F127.0.0.1:4299'],
      [`next=${encodeURIComponent('/\uff0f\uff0f127.0.0.1:4299')}`, '/%EF%BC%8F%EF%BC%8F127.0.0.1:4299'],
    ];
    for (const [query, path] of lookAlikes) {
      const landed = await signInWith(page, query);
      expect(landed.origin, query).toBe(origin);
      expect(landed.pathname, query).toBe(path);
    }
  });

  test('lands where a legitimate next asks, with its query and fragment', async ({ page }) => {
    const landed = await signInWith(page, `next=${encodeURIComponent('/routes?q=x#y')}`);
    expect(landed.href).toBe(`${origin}/routes?q=x#y`);
    await expect(page.getByRole('heading', { level: 1, name: 'Routes' })).toBeVisible();
  });

  test('a page opened before sign-in is where sign-in returns to', async ({ page }) => {
    await page.context().clearCookies();
    await page.goto('/previews?tab=open');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/previews?tab=open');
    await page.getByLabel('Admin token').fill(E2E.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname !== '/login');
    expect(page.url()).toBe(`${origin}/previews?tab=open`);
  });
});

test.describe('preview share links', () => {
  withHubRouteAndService(core, namespace, service);

  /** Opens a share link in a browser without a session; answers the first hop's Location and where the browser ends up. */
  async function openShareLink(page: Page, name: string) {
    await page.context().clearCookies();
    const link = await page.request.get(`/preview/${name}`, { maxRedirects: 0 });
    expect(link.status(), name).toBe(302);
    await page.context().clearCookies();
    await page.goto(`/preview/${name}`);
    return { location: link.headers().location!, landed: new URL(page.url()) };
  }

  test('a preview on a non-Latin path: its link goes there, percent-encoded', async ({ page }) => {
    const name = `unicode-${run}`;
    const created = await page.request.post('/api/v1/previews', {
      headers: { authorization: `Bearer ${E2E.adminToken}` },
      data: { name, pathPrefix: '/秀樹', service, ttl: '1h' },
    });
    expect(created.status(), await created.text()).toBe(201);
    const { location, landed } = await openShareLink(page, name);
    expect(location).toBe(`${origin}/%E7%A7%80%E6%A8%B9/`);
    // the preview's path is a console page to hubmesh itself: the gate sends the browser to sign in, and back there after
    expect(landed.origin).toBe(origin);
    expect(landed.searchParams.get('next')).toBe('/%E7%A7%80%E6%A8%B9/');
    expect((await page.context().cookies()).find((c) => c.name === 'hubmesh-preview')?.value).toBe(name);
  });

  test('a preview stored with a hostile path (written past validation) keeps the browser on the server', async ({ page }) => {
    const stored = [
      { name: `backslash-${run}`, pathPrefix: '/\\127.0.0.1:4299', path: '/%5C127.0.0.1%3A4299/' },
      { name: `slash-backslash-${run}`, pathPrefix: '/\\/127.0.0.1:4299', path: '/%5C/127.0.0.1%3A4299/' },
    ];
    // the refusal at creation
    for (const { pathPrefix } of stored) {
      const refused = await page.request.post('/api/v1/previews', { headers: { authorization: `Bearer ${E2E.adminToken}` }, data: { name: `refused-${run}`, pathPrefix, service, ttl: '1h' } });
      expect(refused.status()).toBe(400);
      expect((await refused.json()).error).toMatch(/^pathPrefix: must not hold "\\"/);
    }
    // straight into the hub route's annotation, as a hand edit or an older hubmesh would have written it
    const hubVs = (await routeVirtualService('/'))!;
    const now = Date.now();
    const previews = stored.map(({ name, pathPrefix }) => ({
      name,
      pathPrefix,
      destination: { service },
      match: { header: true, cookie: true },
      owner: 'someone',
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 3600_000).toISOString(),
    }));
    const body: VirtualService = { ...hubVs, metadata: { ...hubVs.metadata, annotations: { ...hubVs.metadata.annotations, [ANNOTATIONS.overlays]: JSON.stringify({ rules: [], previews }) } } };
    await custom.replaceNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1', namespace, plural: 'virtualservices', name: hubVs.metadata.name, body });
    for (const { name, path } of stored) {
      await expect.poll(async () => (await page.request.get(`/preview/${name}`, { maxRedirects: 0 })).status(), { message: `${name} to be served` }).toBe(302);
      const { location, landed } = await openShareLink(page, name);
      expect(location).toBe(`${origin}${path}`);
      expect(landed.origin).toBe(origin);
      expect(landed.searchParams.get('next')).toBe(path);
    }
  });
});
