import { describe, expect, it } from 'vitest';
import { freshRead } from '../../../src/credentials/fresh-read.ts';
import { createRemoteAnswerCache } from '../../../src/credentials/remote-answer-cache.ts';

/** A source whose reads the test finishes by hand; each read returns the value current when it started. */
function manualSource() {
  let value = 0;
  const pending: Array<() => void> = [];
  let reads = 0;
  return {
    set: (next: number) => (value = next),
    get reads() {
      return reads;
    },
    finishOne: () => pending.shift()?.(),
    read: () => {
      reads += 1;
      const seen = value;
      return new Promise<number>((resolve) => pending.push(() => resolve(seen)));
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('freshRead', () => {
  it('gives every caller a read started after it asked, shared by the callers that asked meanwhile', async () => {
    const source = manualSource();
    const read = freshRead(source.read);
    const first = read();
    await tick();
    // Changed while the first read is in flight: the callers after it must see the change.
    source.set(1);
    const second = read();
    const third = read();
    expect(source.reads).toBe(1);
    source.finishOne();
    expect(await first).toBe(0);
    await tick();
    expect(source.reads).toBe(2);
    source.finishOne();
    expect(await second).toBe(1);
    expect(await third).toBe(1);
    // Nothing in flight: a new caller starts its own read.
    const fourth = read();
    await tick();
    expect(source.reads).toBe(3);
    source.finishOne();
    expect(await fourth).toBe(1);
  });

  it('passes a failed read to its callers and reads again for the next ones', async () => {
    let fail = true;
    const read = freshRead(async () => {
      if (fail) throw new Error('database down');
      return 'ok';
    });
    await expect(read()).rejects.toThrow('database down');
    fail = false;
    expect(await read()).toBe('ok');
  });

  it('with a minimum interval, starts a read no sooner than that after the last one, shared by every caller that asked meanwhile, and still after each asked', async () => {
    let clock = 0;
    const sleeps: number[] = [];
    let wake: () => void = () => {};
    const source = manualSource();
    const read = freshRead(source.read, {
      minIntervalMs: 5,
      now: () => clock,
      sleep: (ms) => {
        sleeps.push(ms);
        return new Promise<void>((resolve) => (wake = resolve));
      },
    });
    const first = read();
    await tick();
    source.finishOne();
    expect(await first).toBe(0);
    // 1 ms later, nothing in flight: the next read waits out the interval, and the callers
    // who ask meanwhile (after a change) share it.
    clock = 1;
    const second = read();
    source.set(1);
    clock = 3;
    const third = read();
    await tick();
    expect(source.reads).toBe(1);
    expect(sleeps).toEqual([4]);
    clock = 5;
    wake();
    await tick();
    expect(source.reads).toBe(2);
    source.finishOne();
    expect(await second).toBe(1);
    expect(await third).toBe(1);
    // After a quiet spell a caller reads at once.
    clock = 100;
    const fourth = read();
    await tick();
    expect(source.reads).toBe(3);
    expect(sleeps).toEqual([4]);
    source.finishOne();
    expect(await fourth).toBe(1);
  });

  it('with a staleness allowance, reuses a read started that recently, and reads again after it', async () => {
    let clock = 0;
    let reads = 0;
    const read = freshRead(async () => ++reads, { maxStalenessMs: 1000, now: () => clock });
    expect(await read()).toBe(1);
    clock = 999;
    expect(await read()).toBe(1);
    clock = 1001;
    expect(await read()).toBe(2);
  });
});

describe('the remote answer cache', () => {
  it('answers from memory under the same version only, and never remembers a failure', async () => {
    const cache = createRemoteAnswerCache({ maxEntries: 2 });
    let asked = 0;
    const ask = (answer: unknown) => () => {
      asked += 1;
      return Promise.resolve(answer);
    };
    expect(await cache.answer('resolveDid', ['did:web:a'], 'v1', ask('doc 1'))).toBe('doc 1');
    expect(await cache.answer('resolveDid', ['did:web:a'], 'v1', ask('unused'))).toBe('doc 1');
    expect(asked).toBe(1);
    // Another version: asked again, and the new answer replaces the old.
    expect(await cache.answer('resolveDid', ['did:web:a'], 'v2', ask('doc 2'))).toBe('doc 2');
    // Other arguments, or no version at all: asked.
    expect(await cache.answer('resolveDid', ['did:web:b'], 'v2', ask('doc b'))).toBe('doc b');
    expect(await cache.answer('resolveDid', ['did:web:a'], undefined, ask('fresh'))).toBe('fresh');
    expect(asked).toBe(4);
    await expect(cache.answer('statusListLoader', ['u'], 'v2', () => Promise.reject(new Error('gone')))).rejects.toThrow('gone');
    await Promise.resolve();
    expect(await cache.answer('statusListLoader', ['u'], 'v2', ask('list'))).toBe('list');
    // Bounded: the oldest entries went.
    expect(cache.size).toBeLessThanOrEqual(2);
  });

  // A verification request may carry a DID, a URL or a date string of nearly BODY_LIMIT
  // (2 MB): remembered under its text, 2,000 distinct ones held gigabytes in every worker.
  it('does not remember an answer to arguments longer than any of Sello\'s own DIDs, lists or chain queries, so submitted megabyte DIDs cannot fill a worker', async () => {
    const cache = createRemoteAnswerCache();
    let asked = 0;
    const ask = () => {
      asked += 1;
      return Promise.resolve(null);
    };
    const huge = (i: number) => `did:web:${'a'.repeat(1_000_000)}${i}`;
    for (let i = 0; i < 20; i++) expect(await cache.answer('resolveDid', [huge(i)], 'v1', ask)).toBeNull();
    expect(cache.size).toBe(0);
    expect(await cache.answer('resolveDid', [huge(0)], 'v1', ask)).toBeNull();
    expect(asked).toBe(21);
    // Real arguments are still remembered.
    const query = { credentialHash: `0x${'ab'.repeat(32)}`, chainId: 31337, contract: `0x${'5f'.repeat(20)}`, issuerDid: 'did:web:badges.uni.example:issuers:default', verificationMethod: 'did:web:badges.uni.example:issuers:default#key-20260305-abcdefgh', validFrom: '2026-03-05T10:00:00Z' };
    await cache.answer('anchorChecker', [query], 'v1', ask);
    await cache.answer('anchorChecker', [query], 'v1', ask);
    expect(asked).toBe(22);
    expect(cache.size).toBe(1);
  });
});
