import { describe, expect, it } from 'vitest';
import { currentLinuxThreadId, lowerThreadPriority } from '../../../src/credentials/thread-priority.ts';

// The lowering itself is tested on real worker threads (verification-pool.test.ts): done
// here it would lower the test runner's own thread.
describe('lowering a thread\'s scheduling priority', () => {
  it('leaves the thread as it is, and says why, where there is no /proc/thread-self', () => {
    expect(currentLinuxThreadId('/nonexistent/thread-self')).toBeNull();
    expect(lowerThreadPriority({ increment: 10, threadSelfPath: '/nonexistent/thread-self' })).toEqual({
      lowered: false,
      threadId: null,
      reason: 'no per-thread priority here (no /proc/thread-self)',
    });
  });

  it.runIf(process.platform === 'linux')('changes nothing with an increment of 0', () => {
    expect(lowerThreadPriority({ increment: 0 })).toEqual({ lowered: false, threadId: currentLinuxThreadId(), reason: 'increment 0' });
  });

  it('refuses a negative or fractional increment as a programmer error', () => {
    expect(() => lowerThreadPriority({ increment: -1 })).toThrow(TypeError);
    expect(() => lowerThreadPriority({ increment: 1.5 })).toThrow(TypeError);
  });
});
