import { describe, expect, it } from 'vitest';
import { bytes, milliseconds, percent, perSecond } from './traffic-format';

describe('traffic figures in words', () => {
  it('writes rates with the digits that matter', () => {
    expect(perSecond(0)).toBe('0');
    expect(perSecond(0.004)).toBe('<0.01');
    expect(perSecond(0.25)).toBe('0.25');
    expect(perSecond(6)).toBe('6');
    expect(perSecond(10.55)).toBe('10.6');
    expect(perSecond(12345.6)).toBe('12,346');
  });

  it('never rounds a small share to 0%', () => {
    expect(percent(0)).toBe('0%');
    expect(percent(0.05)).toBe('<0.1%');
    expect(percent(4.76)).toBe('4.8%');
    expect(percent(50)).toBe('50%');
  });

  it('writes latency in ms, and in s from a second', () => {
    expect(milliseconds(2.5)).toBe('2.5 ms');
    expect(milliseconds(240.4)).toBe('240 ms');
    expect(milliseconds(1500)).toBe('1.5 s');
  });

  it('writes bytes in SI units', () => {
    expect(bytes(0.5)).toBe('0.5 B');
    expect(bytes(999)).toBe('999 B');
    expect(bytes(1500)).toBe('1.5 kB');
    expect(bytes(25_000_000)).toBe('25 MB');
  });
});
