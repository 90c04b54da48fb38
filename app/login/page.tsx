import { LoginForm } from '@/components/LoginForm';
import { safeNextPath } from '@/lib/auth/next-path';
import { getRuntime } from '@/lib/current-runtime';

export const dynamic = 'force-dynamic';

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { next } = await searchParams;
  const hubSignIn = getRuntime().config.dashboard.hubOAuth !== undefined;
  return (
    <main className="mx-auto mt-24 max-w-sm px-4">
      <h1 className="text-2xl font-semibold tracking-tight">Sign in to hubmesh</h1>
      <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">
        {hubSignIn ? 'With your JupyterHub account, or with' : 'With'} the admin token (<code>HUBMESH_ADMIN_TOKEN</code>; in local mode it is in the data dir&apos;s <code>admin-token</code> file).
      </p>
      <LoginForm hubSignIn={hubSignIn} next={safeNextPath(typeof next === 'string' ? next : undefined)} />
    </main>
  );
}
