import { Diagnosis } from '@/components/Diagnosis';
import { TrafficPanel } from '@/components/TrafficPanel';
import { PageFrame } from '@/components/ui';

export const dynamic = 'force-dynamic';

/** Next hands a page its segment still percent-encoded (route handlers get it decoded); a broken escape stays as written. */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** All the user's servers, or the one asked for (`server=` with an empty name is the default server). */
const userTrafficUrl = (user: string, server: string | undefined) => `/api/v1/users/${encodeURIComponent(user)}/traffic${server === undefined ? '' : `?server=${encodeURIComponent(server)}`}`;

/** One user's page: why they cannot reach a server of theirs (`?server=`, the default server when absent), and their traffic. */
export default async function Page({ params, searchParams }: { params: Promise<{ user: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { user } = await params;
  const { server } = await searchParams;
  const name = decoded(user);
  return (
    <PageFrame title={`User ${name}`}>
      <div className="space-y-8">
        <Diagnosis user={name} server={typeof server === 'string' ? server : ''} />
        <section aria-labelledby="user-traffic" className="space-y-3">
          <h2 id="user-traffic" className="text-lg font-medium">
            Traffic {typeof server === 'string' ? `of ${server ? `server ${server}` : 'the default server'}` : 'of all their servers'}
          </h2>
          <TrafficPanel url={userTrafficUrl(name, typeof server === 'string' ? server : undefined)} subject={name} />
        </section>
      </div>
    </PageFrame>
  );
}
