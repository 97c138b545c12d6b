import { describe, expect, it } from 'vitest';
import { platformsOfRequest } from '../../src/lti/platform-registry.ts';
import type { Platform } from '../../src/storage/platform-repository.ts';

describe('the platforms of one request', () => {
  it('reads the platforms table once per request, whoever asks first, and afresh for the next request', async () => {
    let reads = 0;
    const platforms = { list: async () => [{ id: `read-${(reads += 1)}` } as Platform] };
    const securityHeaders = { locals: {} };
    const first = await platformsOfRequest(securityHeaders, platforms);
    // The OIDC route on the same response gets the same read.
    expect(await platformsOfRequest(securityHeaders, platforms)).toBe(first);
    expect(reads).toBe(1);
    expect((await platformsOfRequest({ locals: {} }, platforms))[0]!.id).toBe('read-2');
  });
});
