import { structuredPatch } from 'diff';
import YAML from 'yaml';
import type { KubeObject } from './types';

const SERVER_SET_METADATA = ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation'] as const;

/** An object as the diff shows it: without status and the metadata the apiserver sets. */
export function withoutServerFields(object: KubeObject): KubeObject {
  const stripped: Record<string, unknown> = { ...object };
  delete stripped.status;
  const metadata: Record<string, unknown> = { ...object.metadata };
  for (const key of SERVER_SET_METADATA) delete metadata[key];
  return { ...stripped, metadata } as KubeObject;
}

export function toYaml(object: unknown): string {
  return YAML.stringify(object, { lineWidth: 0 });
}

export type DiffLine = { op: 'add' | 'remove' | 'context'; text: string };
/** One hunk of a line diff; line numbers are 1-based, as in a unified diff. */
export type DiffHunk = { oldStart: number; oldLines: number; newStart: number; newLines: number; lines: DiffLine[] };

const DIFF_OPS: Record<string, DiffLine['op']> = { '+': 'add', '-': 'remove', ' ': 'context' };

export function diffText(before: string, after: string, context = 3): DiffHunk[] {
  return structuredPatch('current', 'result', before, after, undefined, undefined, { context }).hunks.map((hunk) => ({
    oldStart: hunk.oldStart,
    oldLines: hunk.oldLines,
    newStart: hunk.newStart,
    newLines: hunk.newLines,
    // "\ No newline at end of file" markers carry no content
    lines: hunk.lines.filter((line) => line[0]! in DIFF_OPS).map((line) => ({ op: DIFF_OPS[line[0]!]!, text: line.slice(1) })),
  }));
}

/** The YAML line diff from the object as read (absent: empty) to the object as the apiserver would store it. */
export function objectDiff(current: KubeObject | undefined, result: KubeObject): DiffHunk[] {
  return diffText(current ? toYaml(withoutServerFields(current)) : '', toYaml(withoutServerFields(result)));
}
