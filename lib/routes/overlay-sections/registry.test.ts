import { describe, expect, it } from 'vitest';
import { checkOverlays, describeOverlays, editedOverlays, hasOverlays, NO_OVERLAYS, overlays, parseOverlays, renderDestinations, renderOverlayRules, type Overlays } from '../overlays';
import { parseOverlayChange } from '../overlays-api';
import { ANNOTATIONS } from '../../kube/labels';
import { overlaysFromObject, renderRouteVirtualService } from '../virtualservice';
import { OVERLAY_SECTIONS } from './registry';
import { checkContext, previewFixture, renderInput } from './test-fixtures';

const preview = previewFixture('demo');
const all: Overlays = {
  canary: { weights: { current: 80, canary: 20 }, destination: { service: 'demo' } },
  rules: [{ name: 'r', match: { header: 'x-a', exact: 'b' }, destination: { service: 'demo' } }],
  previews: [preview],
};

describe('the overlays registry', () => {
  it('makes the overlays object of its sections, in their order', () => {
    expect(Object.keys(overlays.shape)).toEqual(Object.keys(OVERLAY_SECTIONS));
    expect(Object.keys(overlays.parse({ previews: [preview], canary: all.canary }))).toEqual(['canary', 'rules', 'previews']);
    expect(NO_OVERLAYS).toEqual({ rules: [] });
  });

  it('refuses a key that is no section, naming it and the sections', () => {
    expect(parseOverlays({ rules: [], mirror: { percent: 3 } })).toEqual({ ok: false, errors: [{ field: '', message: 'not an overlay section: "mirror" (the sections are canary, rules, previews, retries, timeout, fault, rateLimit)' }] });
  });

  it('refuses such a key in a PUT with a 400, and reads a stored annotation holding one as no overlays, saying why', () => {
    expect(() => parseOverlayChange({ overlays: { rules: [], mirror: {} } })).toThrow(expect.objectContaining({ status: 400, message: 'overlays.(body): not an overlay section: "mirror" (the sections are canary, rules, previews, retries, timeout, fault, rateLimit)' }));
    const ctx = { namespace: 'hub', prefix: 'hubmesh', gateway: 'hub/gw', hosts: ['*'], hostRouting: false, routeTimeout: undefined };
    const vs = renderRouteVirtualService({ path: '/', data: { target: 'http://hub:8081' }, lastActivity: '2026-12-01T00:00:00.000Z' }, { host: 'hub', port: 8081 }, ctx);
    vs.metadata.annotations![ANNOTATIONS.overlays] = '{"mirror":{},"rules":[]}';
    expect(overlaysFromObject(vs)).toEqual({ overlays: NO_OVERLAYS, error: `annotation ${ANNOTATIONS.overlays}: (overlays): not an overlay section: "mirror" (the sections are canary, rules, previews, retries, timeout, fault, rateLimit)` });
  });

  it('has overlays when any section is set', () => {
    expect(hasOverlays(NO_OVERLAYS)).toBe(false);
    expect(hasOverlays({ rules: [], previews: [] })).toBe(false);
    expect([{ rules: [], canary: all.canary }, { rules: all.rules }, { rules: [], previews: [preview] }].map(hasOverlays)).toEqual([true, true, true]);
  });

  it('checks every section under its key, in registry order', () => {
    const gone = { service: 'gone' };
    const broken: Overlays = { canary: { ...all.canary!, destination: gone }, rules: [{ ...all.rules[0]!, destination: gone }], previews: [{ ...preview, destination: gone }] };
    expect(checkOverlays(broken, checkContext).map((e) => e.field)).toEqual(['canary.destination.service', 'rules[0].destination.service', 'previews[0].destination.service']);
  });

  it("takes the editor's sections from its input and keeps the others as stored", () => {
    const input: Overlays = { rules: [], previews: [{ ...preview, name: 'forged' }] };
    expect(editedOverlays(input, all, 'overlays')).toEqual({ rules: [], previews: [preview] });
    expect(editedOverlays(all, { rules: [] }, 'overlays')).toEqual({ canary: all.canary, rules: all.rules });
    expect(editedOverlays({ rules: [] }, all, 'previews')).toEqual({ canary: all.canary, rules: all.rules });
  });

  it("describes the editor's sections, or says the route is plain", () => {
    expect(describeOverlays(all, 'overlays')).toBe('canary 20% to demo; rules r');
    expect(describeOverlays({ rules: [], previews: [preview] }, 'overlays')).toBe('overlays off (plain route)');
  });

  it("renders the sections' destinations, then their rules by precedence: previews before selective rules", () => {
    const input = renderInput();
    const routeTo = renderDestinations(all, input.routeTo, input);
    expect(routeTo.map((d) => [d.destination.host, d.weight])).toEqual([
      ['target', 80],
      ['demo', 20],
    ]);
    const rules = renderOverlayRules(all, { ...input, routeTo });
    expect(rules.map((r) => r.name)).toEqual(['preview-demo', 'rule-r']);
    expect(renderOverlayRules(NO_OVERLAYS, input)).toEqual([]);
  });
});

describe('the rate limit section', () => {
  it('takes requests per second, minute or hour with an optional burst no smaller than a refill, or "off"', async () => {
    const { rateLimitSection } = await import('./rate-limit');
    const issue = (value: unknown) => {
      const parsed = parseOverlays({ rateLimit: value });
      return parsed.ok ? undefined : parsed.errors[0];
    };
    expect(rateLimitSection.schema.parse({ requests: 5, per: 'second' })).toEqual({ requests: 5, per: 'second' });
    expect(issue({ requests: 5, per: 'day' })?.message).toBe('must be second, minute or hour');
    expect(issue({ requests: 0, per: 'second' })?.message).toBe('must be 1 to 100000');
    expect(issue({ requests: 10, per: 'second', burst: 5 })).toEqual({ field: 'rateLimit.burst', message: 'must be at least requests: the bucket must hold one refill' });
    expect(issue('sometimes')).toEqual({ field: 'rateLimit', message: 'Invalid input: expected object, received string' });
    expect(rateLimitSection.describe({ requests: 5, per: 'second', burst: 20 })).toBe('rate limit 5 per second (bursts of 20)');
    expect(rateLimitSection.describe('off')).toBe('rate limit off');
  });
});
