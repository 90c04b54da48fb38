'use client';

import { useState } from 'react';

/**
 * Sign-in: through JupyterHub when it is configured, and with the admin token. `next` is where to go
 * afterwards, a path on this origin the server has already checked (safeNextPath).
 */
export function LoginForm({ hubSignIn, next }: { hubSignIn: boolean; next: string }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const r = await fetch('/api/v1/session', { method: 'POST', body: JSON.stringify({ token }), credentials: 'same-origin' });
    setBusy(false);
    if (r.ok) {
      // a full load, so the console starts with the new session
      window.location.assign(next);
      return;
    }
    setError(((await r.json().catch(() => ({}))) as { error?: string }).error ?? `sign-in failed (${r.status})`);
  };
  return (
    <>
    {hubSignIn && (
      <a
        href={`/login/hub?next=${encodeURIComponent(next)}`}
        className="mt-6 block rounded bg-orange-600 px-3 py-1.5 text-center text-sm font-medium text-white hover:bg-orange-700"
      >
        Sign in with JupyterHub
      </a>
    )}
    <form onSubmit={submit} className="mt-6 space-y-4" aria-describedby={error ? 'login-error' : undefined}>
      <label className="flex flex-col gap-1 text-sm">
        Admin token
        <input
          type="password"
          autoComplete="current-password"
          required
          value={token}
          onChange={(e) => setToken(e.target.value)}
          className="rounded border border-slate-300 bg-white px-2 py-1.5 dark:border-slate-700 dark:bg-slate-900"
        />
      </label>
      {error && (
        <p id="login-error" role="alert" className="text-sm text-rose-700 dark:text-rose-300">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy} className="rounded bg-slate-900 px-3 py-1.5 text-sm font-medium text-white disabled:opacity-50 dark:bg-slate-100 dark:text-slate-900">
        Sign in
      </button>
    </form>
    </>
  );
}
