import { expect, test } from '@playwright/test';
import { signIn } from './signin';

test('local mode: sign in, and the overview says which mode hubmesh runs in', async ({ page }, testInfo) => {
  const refused = await page.goto('/');
  expect(new URL(refused!.url()).pathname).toBe('/login');
  await signIn(page);
  await expect(page).toHaveTitle('hubmesh');
  await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
  const banner = page.getByRole('status').filter({ hasText: 'Local mode' });
  await expect(banner).toContainText('.hubmesh-e2e');
  const caches = page.getByRole('table', { name: 'Watch caches' });
  await expect(caches.getByRole('row', { name: /virtualservices/ })).toContainText('synced');
  await expect(page.getByTestId('live-state')).toHaveAttribute('data-state', 'live');
  await page.screenshot({ path: testInfo.outputPath('overview-local-mode.png'), fullPage: true });
});
