import { describe, expect, it } from 'vitest';
import { processSlot } from './process-slot';

describe('processSlot', () => {
  it('shares one value between every accessor of the same name, and wakes those waiting for it', async () => {
    const first = processSlot<{ n: number }>('test-shared');
    const second = processSlot<{ n: number }>('test-shared');
    const waited = second.whenSet();
    expect(first.get()).toBeUndefined();
    const value = first.set({ n: 1 });
    expect(await waited).toBe(value);
    expect(second.get()).toBe(value);
    expect(await processSlot('test-shared').whenSet()).toBe(value);
    expect(processSlot('test-other').get()).toBeUndefined();
  });
});
