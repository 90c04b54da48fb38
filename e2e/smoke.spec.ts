import { expect, test } from '@playwright/test';

test('home page says which mode hubmesh runs in and shows its watch caches', async ({ page }, testInfo) => {
  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  await expect(page).toHaveTitle('hubmesh');
  await expect(page.getByRole('heading', { level: 1, name: 'hubmesh' })).toBeVisible();
  const banner = page.getByRole('status');
  await expect(banner).toContainText('Local mode');
  await expect(banner).toContainText('.hubmesh-e2e');
  const caches = page.getByRole('table', { name: 'Watch caches' });
  await expect(caches.getByRole('row', { name: /VirtualServices/ })).toContainText('synced');
  await expect(caches.getByRole('row', { name: /Pods/ })).toContainText('synced');
  await page.screenshot({ path: testInfo.outputPath('home-local-mode.png'), fullPage: true });
});
