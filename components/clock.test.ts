import { createElement, type ComponentProps } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ClockProvider } from './clock';
import { Age, duration, TimeLeft } from './ui';

describe('relative times', () => {
  it('render on the server from the request time the layout passes, not from the server clock', () => {
    const renderedAt = Date.parse('2026-01-01T00:01:30Z');
    const html = renderToString(
      // children as arguments, so the props alone lack them
      createElement(ClockProvider, { renderedAt } as ComponentProps<typeof ClockProvider>, createElement(Age, { iso: '2026-01-01T00:00:00Z' }), ' / ', createElement(TimeLeft, { iso: '2026-01-01T03:01:30Z' })),
    );
    expect(html).toBe('90s<!-- --> / <!-- -->3h');
  });

  it('shorten durations to one unit, and never go negative', () => {
    expect([0, 119_999, 120_000, 7_199_999, 7_200_000, 172_800_000, -5_000].map(duration)).toEqual(['0s', '119s', '2m', '119m', '2h', '2d', '0s']);
  });
});
