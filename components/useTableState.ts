'use client';

import { usePathname, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useState } from 'react';
import { useApi, type Initial } from './live';
import type { SortState } from './ui';

/**
 * A table's state (search, filters, sort, page) kept in the URL, so views can be linked and survive
 * a reload. The search box is debounced before it reaches the URL (and so the server).
 */
export function useTableState<K extends string>(defaultSort: K) {
  const params = useSearchParams();
  const pathname = usePathname();
  const set = useCallback(
    (changes: Record<string, string | number | undefined>) => {
      const next = new URLSearchParams(params.toString());
      for (const [k, v] of Object.entries(changes)) {
        if (v === undefined || v === '') next.delete(k);
        else next.set(k, String(v));
      }
      if (!('page' in changes)) next.delete('page');
      // the browser's history API, which Next's useSearchParams follows: no server round trip, the data comes from /api/v1
      window.history.replaceState(null, '', `${pathname}${next.size ? `?${next}` : ''}`);
    },
    [params, pathname],
  );
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
