'use client';

import { Fragment } from 'react';
import type { Initial } from './live';
import { Results, SearchField, SortHeader } from './ui';
import { useTable } from './useTableState';

/** One column: its header (sortable when `sort` is set) and the cell it renders for a row, a <td> or <th> (or nothing, under a rowSpan). */
export type Column<Row, K extends string> = { header: string; sort?: K; cell: (row: Row) => React.ReactNode };

type Controls<T> = {
  params: URLSearchParams;
  set: (changes: Record<string, string | number | undefined>) => void;
  data: T | undefined;
};

/**
 * A table page of the console: search and filters kept in the URL, sortable headers, the error and empty
 * states, the table and its pager, all on /api/v1/<kind>. Each table gives only its columns and filters.
 */
export function TablePage<K extends string, Row, T extends { total: number; page: number; pageSize: number }>({
  kind,
  defaultSort,
  initial,
  searchPlaceholder,
  filters,
  empty,
  caption,
  minWidthClass,
  columns,
  rowsOf,
  rowKey,
  rowTestId,
  around,
}: {
  kind: 'routes' | 'pods' | 'users';
  defaultSort: K;
  initial: Initial<T> | undefined;
  searchPlaceholder: string;
  filters?: (controls: Controls<T>) => React.ReactNode;
  /** what shows when no row matches; `filtered` says whether the URL holds a search or filter */
  empty: (state: { filtered: boolean; data: T | undefined }) => React.ReactNode;
  caption: string;
  /** the table's Tailwind min-width class, e.g. min-w-[960px] */
  minWidthClass: string;
  columns: Array<Column<Row, K>>;
  /** the table's rows in an answer */
  rowsOf: (data: T) => Row[];
  rowKey: (row: Row) => string;
  rowTestId?: (row: Row) => string;
  /** wraps the table, given the page's rows: for what the cells of one page share, e.g. one request for their sparklines */
  around?: (rows: Row[], table: React.ReactNode) => React.ReactNode;
}) {
  const { params, set, search, setSearch, sortState, onSort, data, error } = useTable<K, T>(kind, defaultSort, initial);
  const lastColumn = columns.length - 1;
  const rows = data ? rowsOf(data) : [];
  const table = (
    <table className={`w-full ${minWidthClass} text-left text-sm`}>
      <caption className="sr-only">{caption}</caption>
      <thead className="text-slate-600 dark:text-slate-400">
        <tr>
          {columns.map((column, i) =>
            column.sort ? (
              <SortHeader key={column.header} label={column.header} column={column.sort} state={sortState} onSort={onSort} />
            ) : (
              <th key={column.header} scope="col" className={i === lastColumn ? 'py-2 font-medium' : 'py-2 pr-3 font-medium'}>
                {column.header}
              </th>
            ),
          )}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={rowKey(row)} data-testid={rowTestId?.(row)} className="border-t border-slate-200 align-top dark:border-slate-800">
            {columns.map((column) => (
              <Fragment key={column.header}>{column.cell(row)}</Fragment>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
  return (
    <>
      <div className="flex flex-wrap items-end gap-3">
        <SearchField value={search} onChange={setSearch} placeholder={searchPlaceholder} />
        {filters?.({ params, set, data })}
      </div>
      <Results page={data} error={error} onPage={(page) => set({ page })} empty={empty({ filtered: params.size > 0, data })}>
        {around ? around(rows, table) : table}
      </Results>
    </>
  );
}
