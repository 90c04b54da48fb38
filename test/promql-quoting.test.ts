import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient } from '@/lib/telemetry/prometheus';
import { promqlString, regexQuoteMeta } from '@/lib/telemetry/promql';
import { startPrometheus, type PrometheusServer } from './prometheus/harness';

/** Label values that only survive quoting done exactly as Prometheus' lexer unquotes. */
const HOSTILE = [
  'plain',
  'double"quote',
  "single'quote `backtick`",
  'back\\slash',
  'trailing\\',
  '\\"} or vector(1) #',
  'x"}\n\\"=~".+"',
  'new\nline',
  'carriage\rreturn\ttab',
  'bell\x07 backspace\b formfeed\f vtab\v',
  'nul\x00 unit\x1f del\x7f',
  '\\x41 \\u0041 \\n (escapes, written out)',
  '秀樹 🙂 ＼ \u2028\u2029',
  'replacement\uFFFDchar',
  'regex .* .+ a|b (x) [a-z] {2} ^start end$ ?',
  '=~ !~ != {a="b"} , ( )',
  '$1 ${v} $$',
];

/** `value` with each RE2 metacharacter replaced: an unquoted pattern would match it, a quoted one must not. */
const decoy = (value: string) => value.replace(/[\\.+*?()|[\]{}^$]/g, 'z');

describe("PromQL literals, read back by Prometheus' own parser", () => {
  let prometheus: PrometheusServer;
  let client: PrometheusClient;

  beforeAll(async () => {
    prometheus = await startPrometheus({ targets: [] });
    client = new PrometheusClient({ url: prometheus.url, timeoutMs: 5_000 });
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
  });

  // absent() of a series that does not exist answers with the labels of its equality matchers, as parsed
  const echo = (value: string) => `absent(hubmesh_no_such_metric{v=${promqlString(value)}})`;

  it.each(HOSTILE)('reads a string literal back exactly: %j', async (value) => {
    const samples = await client.queryVector(echo(value));
    expect(samples.map((s) => s.metric)).toEqual([{ v: value }]);
  });

  it.each(HOSTILE)('matches a quoted regex against exactly the value: %j', async (value) => {
    // label_replace's regex is anchored at both ends like a =~ matcher; `matched` is set only on a full match
    const matches = async (actual: string, pattern: string) => {
      const query = `label_replace(${echo(actual)}, "matched", "yes", "v", ${promqlString(pattern)})`;
      const [sample] = await client.queryVector(query);
      return sample?.metric.matched === 'yes';
    };
    expect(await matches(value, regexQuoteMeta(value))).toBe(true);
    expect(await matches(value, ['other', value].map(regexQuoteMeta).join('|'))).toBe(true);
    expect(await matches(`${value}x`, regexQuoteMeta(value))).toBe(false);
    if (decoy(value) !== value) expect(await matches(decoy(value), regexQuoteMeta(value))).toBe(false);
  });

  it('takes a quoted value as a function argument too', async () => {
    const value = 'x"}\n\\"=~".+" 秀樹\uFFFD';
    const samples = await client.queryVector(`label_replace(vector(1), "v", ${promqlString(value)}, "", "")`);
    expect(samples.map((s) => s.metric)).toEqual([{ v: value }]);
  });
});
