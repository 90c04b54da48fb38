'use client';

import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** What a chart draws with, read from the page so the canvas follows light and dark mode. */
export type ChartTheme = { text: string; grid: string };

/** Options for a width; the theme carries the page's colours, which a canvas cannot inherit. */
export type ChartOptions = (width: number, theme: ChartTheme) => uPlot.Options;

function themeOf(element: HTMLElement): ChartTheme {
  const text = getComputedStyle(element).color;
  return { text, grid: text.replace(/^rgb\((.*)\)$/, 'rgba($1, 0.15)') };
}

/**
 * uPlot in React: one plot per mounted element, new data set in place, rebuilt when the width or the colour
 * scheme or the options change, or when the data's number of series does. The canvas is hidden from assistive technology: the element carries `label` as its name.
 */
export function UPlot({ options, data, label, className }: { options: ChartOptions; data: uPlot.AlignedData; label: string; className?: string }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const rebuild = useRef<() => void>(() => {});
  const latest = useRef({ options, data });
  // declared first, so it runs before the effects below read it
  useEffect(() => {
    latest.current = { options, data };
  });

  useEffect(() => {
    const element = host.current!;
    let width = 0;
    const build = () => {
      plot.current?.destroy();
      plot.current = new uPlot(latest.current.options(width, themeOf(element)), latest.current.data, element);
    };
    rebuild.current = () => {
      if (width > 0) build();
    };
    const resize = new ResizeObserver(([entry]) => {
      const next = Math.floor(entry!.contentRect.width);
      if (next === width || next === 0) return;
      width = next;
      if (plot.current) plot.current.setSize({ width, height: plot.current.height });
      else build();
    });
    resize.observe(element);
    const scheme = window.matchMedia('(prefers-color-scheme: dark)');
    const onScheme = () => rebuild.current();
    scheme.addEventListener('change', onScheme);
    return () => {
      resize.disconnect();
      scheme.removeEventListener('change', onScheme);
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => rebuild.current(), [options]);

  useEffect(() => {
    // a different number of series needs new series options, not just new data
    if (plot.current && plot.current.series.length !== data.length) rebuild.current();
    else plot.current?.setData(data);
  }, [data]);

  return <div ref={host} role="img" aria-label={label} className={className} />;
}
