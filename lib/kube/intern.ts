/** Freezes an object and everything in it, iteratively (objects may nest deeply). */
export function deepFreeze<T>(root: T): T {
  const pending: unknown[] = [root];
  while (pending.length) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null || Object.isFrozen(value)) continue;
    Object.freeze(value);
    for (const child of Object.values(value)) pending.push(child);
  }
  return root;
}

/**
 * One copy of each string value that many cached objects repeat. JSON.parse gives every object its own
 * copy of "Running", the namespace, the image, the gateway's name and Istio's injection status, so a
 * cache of 10,000 pods held each of those 10,000 times. The pool keeps references only (a string it
 * holds is one a cached object holds too), and forgets everything once it reaches `maxEntries`, so the
 * unique values (names, uids, times) that pass through it cannot grow it without bound.
 */
export class StringPool {
  private readonly held = new Map<string, string>();

  constructor(
    private readonly maxEntries = 50_000,
    private readonly maxLength = 1024,
  ) {}

  get size(): number {
    return this.held.size;
  }

  intern(value: string): string {
    if (value.length > this.maxLength) return value;
    const known = this.held.get(value);
    if (known !== undefined) return known;
    if (this.held.size >= this.maxEntries) this.held.clear();
    this.held.set(value, value);
    return value;
  }

  /**
   * Replaces, in place, every string value inside `root` (object properties and array items, at any depth)
   * with the pool's copy. Frozen objects are left as they are: they are shared already (local mode's store).
   */
  internAll<T>(root: T): T {
    const pending: unknown[] = [root];
    while (pending.length) {
      const value = pending.pop();
      if (typeof value !== 'object' || value === null || Object.isFrozen(value)) continue;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (typeof item === 'string') value[i] = this.intern(item);
          else pending.push(item);
        }
        continue;
      }
      const record = value as Record<string, unknown>;
      for (const key in record) {
        if (!Object.hasOwn(record, key)) continue;
        const item = record[key];
        if (typeof item === 'string') record[key] = this.intern(item);
        else pending.push(item);
      }
    }
    return root;
  }
}

/**
 * One frozen copy of each small value that many cached objects hold equal: the containers of pods made from
 * one profile, the conditions of every Running pod. Values are equal when their JSON is; the first one seen is
 * kept and frozen, so a reader that tried to change a shared value would throw, never change other objects.
 * Forgets everything once it holds `maxEntries`, so values that differ in every object cannot grow it.
 */
export class SharedValues {
  private readonly held = new Map<string, unknown>();

  constructor(private readonly maxEntries = 1000) {}

  get size(): number {
    return this.held.size;
  }

  share<T>(value: T): T {
    if (value === undefined) return value;
    const key = JSON.stringify(value);
    const known = this.held.get(key);
    if (known !== undefined) return known as T;
    if (this.held.size >= this.maxEntries) this.held.clear();
    this.held.set(key, deepFreeze(value));
    return value;
  }
}
