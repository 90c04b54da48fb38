'use client';

import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { useState } from 'react';
import { mutateApi } from './live';
import { LiveIndicator } from './ui';

const links = [
  { href: '/', label: 'Overview' },
  { href: '/routes', label: 'Routes' },
  { href: '/pods', label: 'Notebook pods' },
  { href: '/users', label: 'Users' },
  { href: '/traffic', label: 'Traffic' },
  { href: '/previews', label: 'Previews' },
  { href: '/notebook-defaults', label: 'Notebook defaults' },
  { href: '/mesh', label: 'Mesh security' },
  { href: '/isolation', label: 'Isolation' },
  { href: '/doctor', label: 'Doctor' },
  { href: '/audit', label: 'Audit' },
];

export function Nav() {
  const pathname = usePathname();
  const router = useRouter();
  const [signOutError, setSignOutError] = useState<string>();
  const signOut = async () => {
    const response = await mutateApi('/api/v1/session', { method: 'DELETE' });
    // 401: the session had already ended
    if (!response.ok && response.status !== 401) {
      const body = (await response.json().catch(() => ({}))) as { error?: string };
      setSignOutError(`Not signed out: ${body.error ?? `HTTP ${response.status}`}`);
      return;
    }
    router.replace('/login');
  };
  return (
    <header className="border-b border-slate-200 dark:border-slate-800">
      <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
        <span className="text-lg font-semibold tracking-tight">hubmesh</span>
        <nav aria-label="Main" className="flex flex-wrap gap-1">
          {links.map((l) => {
            const current = l.href === '/' ? pathname === '/' : pathname.startsWith(l.href);
            return (
              <Link
                key={l.href}
                href={l.href}
                aria-current={current ? 'page' : undefined}
                className={`rounded px-2 py-1 text-sm ${current ? 'bg-slate-200 font-medium dark:bg-slate-800' : 'hover:bg-slate-100 dark:hover:bg-slate-900'}`}
              >
                {l.label}
              </Link>
            );
          })}
        </nav>
        <div className="ml-auto flex items-center gap-3">
          <LiveIndicator />
          {signOutError && (
            <span role="alert" className="text-sm text-rose-700 dark:text-rose-300">
              {signOutError}
            </span>
          )}
          <button type="button" onClick={signOut} className="rounded border px-2 py-1 text-sm dark:border-slate-700">
            Sign out
          </button>
        </div>
      </div>
    </header>
  );
}
