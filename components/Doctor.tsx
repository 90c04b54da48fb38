'use client';

import Link from 'next/link';
import { useState } from 'react';
import type { validationsAnswer } from '@/lib/mesh/api';
import { useApi } from './live';
import { Badge, EmptyState, ErrorState, inputClass } from './ui';

type Report = ReturnType<typeof validationsAnswer>;
type Ref = { kind: string; namespace?: string; name: string };

const tone = { error: 'bad', warning: 'warn', info: 'muted' } as const;

function ref(o: Ref) {
  const text = `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
  const href = o.kind === 'Pod' ? `/pods?q=${encodeURIComponent(o.name)}` : o.kind === 'VirtualService' || o.kind === 'HTTPRoute' ? `/routes?q=${encodeURIComponent(o.name)}` : undefined;
  return href ? (
    <Link className="font-mono underline" href={href}>
      {text}
    </Link>
  ) : (
    <span className="font-mono">{text}</span>
  );
}

/** The validations catalogue: every rule with its count, and the findings, each naming the object to fix. */
export function Doctor() {
  const { data, error } = useApi<Report>('/api/v1/validations');
  const [code, setCode] = useState('');
  if (error) return <ErrorState error={error} />;
  if (!data) return <p>Loading…</p>;
  const findings = code ? data.findings.filter((f) => f.code === code) : data.findings;
  return (
    <div className="space-y-8">
      <p className="text-sm">
        {data.findings.length === 0 ? 'No findings.' : `${data.bySeverity.error} errors, ${data.bySeverity.warning} warnings`} · namespace <span className="font-mono">{data.namespace}</span>
      </p>
      <section aria-labelledby="findings">
        <div className="flex flex-wrap items-end gap-4">
          <h2 id="findings" className="text-lg font-medium">
            Findings
          </h2>
          <label className="flex flex-col text-sm">
            Rule
            <select className={inputClass} value={code} onChange={(e) => setCode(e.target.value)}>
              <option value="">all</option>
              {data.catalogue.map((c) => (
                <option key={c.code} value={c.code}>
                  {c.code} ({c.count})
                </option>
              ))}
            </select>
          </label>
        </div>
        {findings.length === 0 ? (
          <div className="mt-3">
            <EmptyState title="Nothing to fix">No object breaks {code ? `rule ${code}` : 'any rule'} right now.</EmptyState>
          </div>
        ) : (
          <ul className="mt-3 space-y-2" aria-label="Findings">
            {findings.map((f, i) => (
              <li key={i} className="rounded border border-slate-200 p-3 text-sm dark:border-slate-800">
                <Badge tone={tone[f.severity]}>{f.severity}</Badge> <span className="font-mono">{f.code}</span> {ref(f.object)}
                <p className="mt-1">{f.message}</p>
                {f.related && f.related.length > 0 && (
                  <p className="mt-1 text-slate-600 dark:text-slate-400">
                    Related:{' '}
                    {f.related.map((r, j) => (
                      <span key={j}>
                        {j > 0 && ', '}
                        {ref(r)}
                      </span>
                    ))}
                  </p>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="catalogue">
        <h2 id="catalogue" className="text-lg font-medium">
          Catalogue
        </h2>
        <table className="mt-2 w-full text-left text-sm">
          <caption className="sr-only">Validation rules</caption>
          <thead className="text-slate-600 dark:text-slate-400">
            <tr>
              <th scope="col" className="py-1 pr-3 font-medium">Code</th>
              <th scope="col" className="py-1 pr-3 font-medium">Severity</th>
              <th scope="col" className="py-1 pr-3 font-medium">Rule</th>
              <th scope="col" className="py-1 font-medium">Findings</th>
            </tr>
          </thead>
          <tbody>
            {data.catalogue.map((c) => (
              <tr key={c.code} className="border-t border-slate-200 align-top dark:border-slate-800">
                <td className="py-1 pr-3 font-mono">{c.code}</td>
                <td className="py-1 pr-3">
                  <Badge tone={tone[c.severity]}>{c.severity}</Badge>
                </td>
                <td className="py-1 pr-3">
                  {c.title}
                  <div className="text-xs text-slate-600 dark:text-slate-400">{c.description}</div>
                </td>
                <td className="py-1 tabular-nums">{c.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
