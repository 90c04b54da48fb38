import { MeshSecurity } from '@/components/MeshSecurity';
import { PageFrame } from '@/components/ui';

export const dynamic = 'force-dynamic';

export default function Page() {
  return (
    <PageFrame title="Mesh security">
      <MeshSecurity />
    </PageFrame>
  );
}
