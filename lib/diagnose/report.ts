import { serverWords } from './server';
import type { Hop, HopStatus, Verdict } from './types';

export const STATUS_WORDS: Record<HopStatus, string> = { pass: 'pass', fail: 'FAIL', warn: 'warn', unknown: 'unknown' };
const STATUS_MARKS: Record<HopStatus, string> = { pass: '✓', fail: '✗', warn: '!', unknown: '?' };
export const VERDICT_WORDS: Record<Verdict, string> = { ok: 'ok: every hop hubmesh can judge passes', warning: 'warning: requests may fail', failing: 'failing: requests fail' };

/** A table cell: one line, with the table's own separator escaped. */
const cell = (text: string) => text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');

/**
 * The diagnosis as Markdown, for a support ticket: the server, the verdict, and every hop with its evidence and
 * fix. It names objects and settings; it holds no credential, since no hop's words or evidence carry one.
 */
export function diagnosisReport(d: { user: string; server: string; path: string | undefined; verdict: Verdict; hops: readonly Hop[]; checkedAt: string }): string {
  const lines = [
    `# hubmesh diagnosis: ${serverWords(d.user, d.server)}`,
    '',
    `- User: ${d.user}`,
    `- Server: ${d.server === '' ? '(default)' : d.server}`,
    `- Path: ${d.path ?? '(no route)'}`,
    `- Checked: ${d.checkedAt}`,
    `- Verdict: **${VERDICT_WORDS[d.verdict]}**`,
  ];
  d.hops.forEach((hop, i) => {
    lines.push('', `## ${i + 1}. ${STATUS_MARKS[hop.status]} ${STATUS_WORDS[hop.status]}: ${hop.title}`, '', hop.summary);
    if (hop.evidence.length) {
      lines.push('', '| Evidence | |', '|---|---|');
      for (const e of hop.evidence) lines.push(`| ${cell(e.label)} | ${cell(e.value)} |`);
    }
    if (hop.fix) lines.push('', `**Fix:** ${hop.fix}`);
  });
  return `${lines.join('\n')}\n`;
}
