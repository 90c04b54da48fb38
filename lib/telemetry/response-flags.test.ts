import { describe, expect, it } from 'vitest';
import { explainResponseFlags, responseFlag, splitResponseFlags } from './response-flags';

// Envoy's short codes, from source/common/stream_info/utility.h (ALL_RESPONSE_STRINGS_FLAGS)
const ENVOY_CODES = 'LH UH UT LR UR UF UC UO NR DI FI RL UAEX RLSE DC URX SI IH DPE UMSDR RFCF NFCF DT UPE NC OM DF DO'.split(' ');

describe('response flags', () => {
  it('split the comma-joined flags of one request; "-" and nothing are none', () => {
    expect(splitResponseFlags('UF,URX')).toEqual(['UF', 'URX']);
    expect(splitResponseFlags('RL')).toEqual(['RL']);
    expect(splitResponseFlags('-')).toEqual([]);
    expect(splitResponseFlags('')).toEqual([]);
    expect(splitResponseFlags(undefined)).toEqual([]);
  });

  it("explain every flag Envoy sets, in an admin's words with a hint", () => {
    for (const code of ENVOY_CODES) {
      const flag = responseFlag(code);
      expect(flag, code).toMatchObject({ code, known: true });
      expect(flag.name, code).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(flag.meaning.length, code).toBeGreaterThan(10);
      expect(flag.hint.length, code).toBeGreaterThan(5);
    }
  });

  it('explain a gateway 503 UF,URX in order, saying the gateway could not connect and where to look', () => {
    const [uf, urx] = explainResponseFlags('UF,URX');
    expect(uf).toMatchObject({ code: 'UF', name: 'UpstreamConnectionFailure', meaning: 'the gateway could not connect to the notebook (503)' });
    expect(uf!.hint).toContain("pod's sidecar is ready, the Service's port and any NetworkPolicy");
    expect(urx).toMatchObject({ code: 'URX', name: 'UpstreamRetryLimitExceeded' });
  });

  it('keep an unknown flag verbatim, and do not take inherited object keys for flags', () => {
    expect(explainResponseFlags('UF,XYZ')).toEqual([expect.objectContaining({ code: 'UF', known: true }), expect.objectContaining({ code: 'XYZ', known: false, name: 'XYZ' })]);
    expect(responseFlag('constructor')).toMatchObject({ code: 'constructor', known: false });
    expect(responseFlag('toString').known).toBe(false);
  });
});
