/** One visit of a console table page in Chromium, timed in the page, and the sign-in it needs. */
import type { Browser, Page } from '@playwright/test';

export type Session = { cookies: Array<{ name: string; value: string; url: string; httpOnly: boolean; sameSite: 'Strict' }>; header: string };

export async function signIn(baseUrl: string, adminToken: string): Promise<Session> {
  const r = await fetch(`${baseUrl}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: adminToken }) });
  if (r.status !== 200) throw new Error(`bench: POST ${baseUrl}/api/v1/session answered ${r.status}: ${await r.text()}`);
  const cookies = r.headers.getSetCookie().map((c) => {
    const [pair] = c.split(';');
    const eq = pair!.indexOf('=');
    return { name: pair!.slice(0, eq), value: pair!.slice(eq + 1), url: baseUrl, httpOnly: /;\s*HttpOnly/i.test(c), sameSite: 'Strict' as const };
  });
  if (!cookies.some((c) => c.name === 'hubmesh_session')) throw new Error(`bench: sign-in at ${baseUrl} set no session cookie: ${r.headers.getSetCookie().join(' | ')}`);
  return { cookies, header: cookies.map((c) => `${c.name}=${c.value}`).join('; ') };
}

/** Long tasks (the main thread busy > 50 ms) from the document's start, and when the first click or change was handled. */
const PAGE_PROBES = `
  window.__benchLongTasks = [];
  for (const type of ['click', 'change']) window.addEventListener(type, () => { if (window.__benchInputAt === undefined) window.__benchInputAt = performance.now(); }, true);
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__benchLongTasks.push([e.startTime, e.duration]); })
      .observe({ type: 'longtask', buffered: true });
  } catch {}
`;

export type PageKind = 'routes' | 'pods';
export type RunResult = {
  /** ms from navigation start, in the page's clock: first row (or the empty state) on screen */
  firstData: number;
  /** React has hydrated the sort header's button (anchor: the filter's select): a click now takes effect */
  hydrated: number;
  /** the click on the sort header (anchor: the filter's change) handled by the page */
  inputAt: number;
  /** the table answered it: aria-sort flipped (anchor: the filter shows its value and is in the URL) */
  interactive: number;
  /** and its data is on screen: the rows re-sorted (anchor: "no match" shown) */
  settled: number;
  /** ms from the Search input's change until only matching rows (or "no match") show */
  search: number;
  /** /api/v1/<kind> requests the page made until it was interactive (not counting the sort's) */
  apiCallsAtLoad: number;
  /** the interaction alone: from the click/change handled until its data is on screen */
  interactionMs: number;
  /** requests the interaction made: RSC (`?_rsc=`, Next's router round trip) and /api/v1/<kind> */
  interactionRsc: number;
  interactionApi: number;
  /** navigation timing: the document's last byte, DOMContentLoaded end */
  docMs: number;
  dclMs: number;
  /** the first /api/v1/<kind> request: when the page sent it (hydrated), its duration and body size */
  firstApiStart: number;
  firstApiMs: number;
  firstApiBytes: number;
  fcp: number;
  /** sum over long tasks before `interactive` of (duration - 50 ms), Lighthouse's TBT */
  blockingMs: number;
  longestTaskMs: number;
  jsHeapMb: number;
  domRows: number;
};

/** Resolves with performance.now() in the page once `predicate` (a function body over `arg`) is true. */
async function pageTimeWhen(page: Page, predicate: string, arg: unknown, timeout = 30_000): Promise<number> {
  const fn = new Function('arg', `return (${predicate})(arg) ? performance.now() : false;`) as (arg: unknown) => number | false;
  const handle = await page.waitForFunction(fn, arg, { polling: 'raf', timeout });
  return (await handle.jsonValue()) as number;
}

/** Finders for the elements a visit works, as expressions over `arg`, and whether React has hydrated `el`. */
const sortButton = `[...document.querySelectorAll('thead th')].find((t) => (t.textContent || '').startsWith(arg.label))?.querySelector('button')`;
const filterSelect = `[...document.querySelectorAll('label')].find((l) => (l.textContent || '').trim().startsWith(arg.label))?.querySelector('select')`;
const searchInput = `document.querySelector('input[type=search]')`;
const isHydrated = `!!el && Object.keys(el).some((k) => k.startsWith('__reactProps$'))`;

/**
 * One visit of /routes or /pods in a fresh context. `full`: the table has rows; otherwise the server's
 * table is empty and the page shows its empty state.
 */
export async function visit(browser: Browser, baseUrl: string, session: Session, kind: PageKind, full: boolean, searchFor: { q: string; exact: string }): Promise<RunResult> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  try {
    await context.addCookies(session.cookies);
    await context.addInitScript(PAGE_PROBES);
    const page = await context.newPage();
    const apiPath = `/api/v1/${kind}`;
    let apiCalls = 0;
    let counting = true;
    let interacting = false;
    let interactionRsc = 0;
    let interactionApi = 0;
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (counting && url.pathname === apiPath) apiCalls++;
      if (interacting && url.searchParams.has('_rsc') && url.pathname === `/${kind}`) interactionRsc++;
      if (interacting && url.pathname === apiPath) interactionApi++;
    });
    await page.goto(`${baseUrl}/${kind}`, { waitUntil: 'commit' });
    if (!page.url().endsWith(`/${kind}`)) throw new Error(`bench: ${baseUrl}/${kind} went to ${page.url()} (not signed in?)`);

    const sortLabel = kind === 'routes' ? 'Route' : 'Pod';
    const filter = kind === 'routes' ? { label: 'Status', param: 'status', value: 'ok' } : { label: 'Warnings', param: 'warning', value: 'any' };
    let firstData: number;
    let hydrated: number;
    let settled: number;
    if (full) {
      firstData = await pageTimeWhen(page, `() => { const tr = document.querySelector('tbody tr'); return !!tr && tr.getBoundingClientRect().height > 0; }`, null);
      counting = false;
      // the rows come server-rendered: a click before React has hydrated the header is lost, so click once it has
      hydrated = await pageTimeWhen(
        page,
        `(arg) => { const el = ${sortButton}; if (!(${isHydrated})) return false; window.__benchBefore = document.querySelector('tbody tr td')?.textContent; return true; }`,
        { label: sortLabel },
      );
      interacting = true;
      // Playwright's click waits until the button is visible, stable, enabled and not covered
      await page.getByRole('button', { name: new RegExp(`^${sortLabel}\\b`) }).click();
      settled = await pageTimeWhen(
        page,
        `(arg) => {
          const th = [...document.querySelectorAll('thead th')].find((t) => (t.textContent || '').startsWith(arg.label));
          if (window.__benchFlipAt === undefined && th?.getAttribute('aria-sort') === 'descending') window.__benchFlipAt = performance.now();
          const td = document.querySelector('tbody tr td');
          return window.__benchFlipAt !== undefined && !!td && td.textContent !== window.__benchBefore;
        }`,
        { label: sortLabel },
        10_000,
      ).catch((error) => {
        throw new Error(`bench: clicking "${sortLabel}" on ${baseUrl}/${kind} did not re-sort the rows within 10 s: ${error}`);
      });
    } else {
      const empty = kind === 'routes' ? 'No routes yet' : 'No notebook pods';
      const noMatch = kind === 'routes' ? 'No route matches these filters' : 'No pod matches these filters';
      firstData = await pageTimeWhen(page, `(arg) => (document.body?.innerText || '').includes(arg)`, empty);
      counting = false;
      hydrated = await pageTimeWhen(page, `(arg) => { const el = ${filterSelect}; return ${isHydrated}; }`, filter);
      interacting = true;
      await page.getByRole('combobox', { name: filter.label }).selectOption(filter.value);
      settled = await pageTimeWhen(
        page,
        `(arg) => {
          const select = ${filterSelect};
          if (window.__benchFlipAt === undefined && select?.value === arg.value && new URLSearchParams(location.search).get(arg.param) === arg.value) window.__benchFlipAt = performance.now();
          return window.__benchFlipAt !== undefined && (document.body?.innerText || '').includes(arg.text);
        }`,
        { ...filter, text: noMatch },
        10_000,
      );
    }
    const marks = await page.evaluate(() => {
      const w = window as unknown as { __benchInputAt?: number; __benchFlipAt?: number };
      return { inputAt: w.__benchInputAt ?? Number.NaN, interactive: w.__benchFlipAt ?? Number.NaN };
    });
    const { inputAt, interactive } = marks;
    const apiCallsAtLoad = apiCalls;
    interacting = false;
    const interaction = { interactionMs: settled - inputAt, interactionRsc, interactionApi };

    // what the load cost the browser, until it was interactive
    const stats = await page.evaluate(
      (args) => {
        const api = performance.getEntriesByType('resource').filter((e) => new URL(e.name).pathname === args.apiPath) as PerformanceResourceTiming[];
        const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN;
        const tasks = ((window as unknown as { __benchLongTasks?: Array<[number, number]> }).__benchLongTasks ?? []).filter(([start]) => start < args.until);
        const memory = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
        return {
          docMs: nav?.responseEnd ?? Number.NaN,
          dclMs: nav?.domContentLoadedEventEnd ?? Number.NaN,
          firstApiStart: api[0]?.startTime ?? Number.NaN,
          firstApiMs: api[0] ? api[0].responseEnd - api[0].startTime : Number.NaN,
          firstApiBytes: api[0]?.decodedBodySize ?? Number.NaN,
          fcp,
          blockingMs: tasks.reduce((s, [, d]) => s + Math.max(0, d - 50), 0),
          longestTaskMs: tasks.reduce((m, [, d]) => Math.max(m, d), 0),
          jsHeapMb: memory ? memory.usedJSHeapSize / 2 ** 20 : Number.NaN,
          domRows: document.querySelectorAll('tbody tr').length,
        };
      },
      { apiPath, until: settled },
    );

    // search: clear the filters of the interaction first (a fresh page, so the same start for both)
    await page.goto(`${baseUrl}/${kind}`, { waitUntil: 'commit' });
    // by role: a streamed copy of the page still waiting to be swapped in is hidden, and roles skip hidden elements
    const search = page.getByRole('searchbox', { name: 'Search' });
    await pageTimeWhen(page, `() => { const el = ${searchInput}; return ${isHydrated}; }`, null);
    const typed = await page.evaluate(() => performance.now());
    await search.fill(searchFor.q);
    const found = full
      ? await pageTimeWhen(
          page,
          `(arg) => {
            const rows = [...document.querySelectorAll('tbody tr')];
            return rows.length > 0 && rows.every((r) => (r.textContent || '').includes(arg.q)) && rows.some((r) => (r.querySelector('td')?.textContent || '') === arg.exact);
          }`,
          searchFor,
        ).catch(async (error) => {
          throw new Error(`bench: search for ${searchFor.q} on ${baseUrl}/${kind} never showed only matching rows; first rows: ${await page.locator('tbody tr').first().textContent().catch(() => '?')}: ${error}`);
        })
      : await pageTimeWhen(page, `(arg) => (document.body?.innerText || '').includes(arg)`, kind === 'routes' ? 'No route matches these filters' : 'No pod matches these filters');
    const searchMs = found - typed;

    return { firstData, hydrated, inputAt, interactive, settled, search: searchMs, apiCallsAtLoad, ...interaction, ...stats };
  } finally {
    await context.close();
  }
}
