import { expect, type Page } from '@playwright/test';
import { E2E } from '../playwright.config';

/** Signs in through the login form; `next` is a path, or a full URL for a server other than the project's. */
export async function signIn(page: Page, next = '/') {
  const target = new URL(next, 'http://placeholder');
  const login = `/login?next=${encodeURIComponent(target.pathname + target.search)}`;
  await page.goto(next.startsWith('http') ? `${target.origin}${login}` : login);
  await page.getByLabel('Admin token').fill(E2E.adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
}
