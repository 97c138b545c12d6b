import { describe, expect, it } from 'vitest';
import { createVerificationCache } from '../../../src/credentials/verification-cache.ts';

describe('the verification cache', () => {
  const clock = (start: string) => {
    let at = new Date(start).getTime();
    return { now: () => new Date(at), advance: (ms: number) => (at += ms) };
  };

  it('returns the stored value while the fingerprint is the same', () => {
    const c = clock('2026-01-01T00:00:00Z');
    const cache = createVerificationCache<string>({ now: c.now });
    cache.set('a', 'f1', 'report');
    expect(cache.get('a', 'f1')).toBe('report');
  });

  it('forgets the value when the fingerprint changes (a status change, an anchor, a key)', () => {
    const cache = createVerificationCache<string>();
    cache.set('a', 'f1', 'report');
    expect(cache.get('a', 'f2')).toBeUndefined();
    expect(cache.get('a', 'f1')).toBeUndefined();
  });

  it('forgets the value at the deadline the caller gave (validUntil)', () => {
    const c = clock('2026-01-01T00:00:00Z');
    const cache = createVerificationCache<string>({ now: c.now, ttlMs: 3_600_000 });
    cache.set('a', 'f', 'report', new Date('2026-01-01T00:00:10Z'));
    c.advance(9_000);
    expect(cache.get('a', 'f')).toBe('report');
    c.advance(1_000);
    expect(cache.get('a', 'f')).toBeUndefined();
  });

  it('never keeps a value longer than its ttl, whatever deadline is given', () => {
    const c = clock('2026-01-01T00:00:00Z');
    const cache = createVerificationCache<string>({ now: c.now, ttlMs: 1000 });
    cache.set('a', 'f', 'report', new Date('2027-01-01T00:00:00Z'));
    c.advance(1000);
    expect(cache.get('a', 'f')).toBeUndefined();
  });

  it('does not store a value whose deadline has already passed', () => {
    const c = clock('2026-01-01T00:00:00Z');
    const cache = createVerificationCache<string>({ now: c.now });
    cache.set('a', 'f', 'report', new Date('2025-12-31T00:00:00Z'));
    expect(cache.size).toBe(0);
  });

  it('drops the oldest entries beyond its size', () => {
    const cache = createVerificationCache<string>({ maxEntries: 2 });
    cache.set('a', 'f', '1');
    cache.set('b', 'f', '2');
    cache.set('c', 'f', '3');
    expect(cache.get('a', 'f')).toBeUndefined();
    expect(cache.get('c', 'f')).toBe('3');
    expect(cache.size).toBe(2);
  });
});
