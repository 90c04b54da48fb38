import { describe, expect, it } from 'vitest';
import { HUB_API_GUARD_RULE, parsePreviewInput, previewsSection } from './previews';
import { checkContext, previewFixture, renderInput } from './test-fixtures';

const preview = previewFixture;

describe('the previews section', () => {
  it('is absent rather than empty, and set when it holds one', () => {
    expect(previewsSection.schema.parse(undefined)).toBeUndefined();
    expect([previewsSection.isSet(undefined), previewsSection.isSet([]), previewsSection.isSet([preview('a')])]).toEqual([false, false, true]);
    expect(previewsSection.describe([preview('a'), preview('b')])).toBe('previews a, b');
  });

  it('belongs to the previews API, not to the overlays editor', () => {
    expect(previewsSection.editedBy).toBe('previews');
  });

  it('checks names and destinations under its own key', () => {
    expect(previewsSection.check([preview('a'), preview('a', { destination: { service: 'gone' } })], 'previews', checkContext).map((e) => e.field)).toEqual(['previews[1].name', 'previews[1].destination.service']);
  });

  it('renders by name, each on its own path narrowed by its header and/or cookie', () => {
    const rendered = previewsSection.rules!.render([preview('b', { match: { header: false, cookie: true } }), preview('a')], renderInput());
    expect(rendered).toEqual([
      { name: 'preview-a', match: [{ uri: { prefix: '/user/alice/lab' }, headers: { 'x-hubmesh-preview': { exact: 'a' } } }], route: [{ destination: { host: 'demo' } }] },
      { name: 'preview-b', match: [{ uri: { prefix: '/user/alice/lab' }, headers: { cookie: { regex: '^(.*?;\\s*)?hubmesh-preview=b(;.*)?$' } } }], route: [{ destination: { host: 'demo' } }] },
    ]);
  });

  it("guards the hub's API from a preview above it, sending its requests where the route goes, unless shadowing was allowed", () => {
    const input = renderInput({ routePath: '/' });
    const above = preview('demo', { pathPrefix: '/' });
    const [guard, own] = previewsSection.rules!.render([above], input);
    expect(guard).toEqual({ name: HUB_API_GUARD_RULE, match: [{ uri: { prefix: '/hub/api' }, headers: { 'x-hubmesh-preview': { exact: 'demo' } } }], route: input.routeTo });
    expect(own?.name).toBe('preview-demo');
    expect(previewsSection.rules!.render([{ ...above, allowShadow: true }], input).map((r) => r.name)).toEqual(['preview-demo']);
    // a preview on the API's own path is refused when created (shadowReason), and not guarded against itself
    expect(previewsSection.rules!.render([preview('api', { pathPrefix: '/hub/api' })], input).map((r) => r.name)).toEqual(['preview-api']);
  });

  it('leaves out a preview with no path left to match', () => {
    expect(previewsSection.rules!.render([preview('a', { pathPrefix: '/blocked' })], renderInput())).toEqual([]);
  });

  it('reads a preview from input with its fields named', () => {
    expect(parsePreviewInput({ name: 'a', service: 'demo', ttl: '2h' })).toMatchObject({ ok: true, input: { pathPrefix: '/', ttl: 7_200_000, match: { header: true, cookie: true } } });
    expect(parsePreviewInput({ name: 'a', service: 'demo', ttl: '1m' })).toEqual({ ok: false, errors: [{ field: 'ttl', message: 'must be from 5m to 7d' }] });
  });
});
