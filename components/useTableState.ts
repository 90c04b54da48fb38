'use client';

import { usePathname, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useState } from 'react';
import { useApi, type Initial } from './live';
import type { SortState } from './ui';

/**
 * Query parameters kept in the URL through the browser's history API, which Next's useSearchParams follows:
 * no server round trip. `hrefWith` is the URL a change leads to, for links that work before hydration.
 */
export function useUrlParams() {
  const params = useSearchParams();
  const pathname = usePathname();
  const hrefWith = useCallback(
    (changes: Record<string, string | number | undefined>) => {
      const next = new URLSearchParams(params.toString());
      for (const [k, v] of Object.entries(changes)) {
        if (v === undefined || v === '') next.delete(k);
        else next.set(k, String(v));
      }
      return `${pathname}${next.size ? `?${next}` : ''}`;
    },
    [params, pathname],
  );
  const set = useCallback((changes: Record<string, string | number | undefined>) => window.history.replaceState(null, '', hrefWith(changes)), [hrefWith]);
  return { params, set, hrefWith };
}

/**
 * A table's state (search, filters, sort, page) kept in the URL, so views can be linked and survive
 * a reload. The search box is debounced before it reaches the URL (and so the server). A change of
 * anything but the page goes back to the first page.
 */
export function useTableState<K extends string>(defaultSort: K) {
  const { params, set: setParams } = useUrlParams();
  const set = useCallback((changes: Record<string, string | number | undefined>) => setParams('page' in changes ? changes : { ...changes, page: undefined }), [setParams]);
  const [search, setSearch] = useState(params.get('q') ?? '');
  useEffect(() => {
    const t = setTimeout(() => {
      if (search !== (params.get('q') ?? '')) set({ q: search });
    }, 250);
    return () => clearTimeout(t);
  }, [search, params, set]);
  const sortState: SortState<K> = { sort: (params.get('sort') as K) ?? defaultSort, order: (params.get('order') as 'asc' | 'desc') ?? 'asc' };
  return { params, set, search, setSearch, sortState, onSort: (s: SortState<K>) => set(s) };
}

/** A table page's state plus its data from /api/v1/<kind>, starting from the server-rendered answer. */
export function useTable<K extends string, T>(kind: 'routes' | 'pods' | 'users', defaultSort: K, initial: Initial<T> | undefined) {
  const state = useTableState<K>(defaultSort);
  const url = `/api/v1/${kind}?${state.params.toString()}`;
  const { data, error } = useApi<T>(url, { fallbackData: initial?.key === url ? initial.data : undefined });
  return { ...state, data, error };
}
