import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { diffText, objectDiff, toYaml, withoutServerFields } from './object-diff';
import type { KubeObject } from './types';

const managedBy = { 'app.kubernetes.io/managed-by': 'hubmesh' };

describe('preview and diff', () => {
  const stored = {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: {
      name: 'default',
      namespace: 'jupyterhub',
      uid: '0b6f…',
      resourceVersion: '42',
      generation: 3,
      creationTimestamp: '2026-11-25T11:32:05Z',
      managedFields: [{ manager: 'hubmesh', operation: 'Apply', apiVersion: 'security.istio.io/v1' }],
      labels: managedBy,
    },
    spec: { mtls: { mode: 'PERMISSIVE' } },
    status: { conditions: [] },
  } as KubeObject;

  it('strips what the apiserver sets before comparing', () => {
    expect(withoutServerFields(stored)).toEqual({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'default', namespace: 'jupyterhub', labels: managedBy },
      spec: { mtls: { mode: 'PERMISSIVE' } },
    });
  });

  it('renders YAML that parses back to the object', () => {
    const body = withoutServerFields(stored);
    expect(YAML.parse(toYaml(body))).toEqual(body);
  });

  it('diffs line by line with context, in hunks the UI can colour', () => {
    const strict = { ...stored, metadata: { ...stored.metadata, resourceVersion: '43' }, spec: { mtls: { mode: 'STRICT' } } } as KubeObject;
    const hunks = objectDiff(stored, strict);
    expect(hunks).toHaveLength(1);
    expect(hunks[0]!.lines.filter((l) => l.op !== 'context')).toEqual([
      { op: 'remove', text: '    mode: PERMISSIVE' },
      { op: 'add', text: '    mode: STRICT' },
    ]);
    expect(hunks[0]!.lines.some((l) => l.op === 'context')).toBe(true);
  });

  it('shows a created object as all additions, and no hunks when nothing changes', () => {
    const created = objectDiff(undefined, stored);
    expect(created).toHaveLength(1);
    expect(created[0]!.oldLines).toBe(0);
    expect(created[0]!.lines.every((l) => l.op === 'add')).toBe(true);
    expect(created[0]!.lines.map((l) => l.text).join('\n')).not.toMatch(/resourceVersion|managedFields|status/);
    const bumped = { ...stored, metadata: { ...stored.metadata, resourceVersion: '99', managedFields: [] } } as KubeObject;
    expect(objectDiff(stored, bumped)).toEqual([]);
  });

  it('numbers hunk lines as a unified diff does', () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    const after = before.replace('line 10\n', 'line ten\n');
    expect(diffText(before, after)).toEqual([
      {
        oldStart: 7,
        oldLines: 7,
        newStart: 7,
        newLines: 7,
        lines: [
          { op: 'context', text: 'line 7' },
          { op: 'context', text: 'line 8' },
          { op: 'context', text: 'line 9' },
          { op: 'remove', text: 'line 10' },
          { op: 'add', text: 'line ten' },
          { op: 'context', text: 'line 11' },
          { op: 'context', text: 'line 12' },
          { op: 'context', text: 'line 13' },
        ],
      },
    ]);
  });
});
