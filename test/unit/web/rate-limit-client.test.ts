/**
 * Which bucket an address counts against in the verifiers' rate limit: an IPv6 client is
 * its /64, since one subscriber holds a whole /64 and could otherwise take a fresh bucket
 * with every request.
 */
import { describe, expect, it } from 'vitest';
import { rateLimitClient } from '../../../src/web/rate-limit.ts';

describe('rateLimitClient', () => {
  it('keeps an IPv4 address as it is, and an IPv4-mapped IPv6 address as its IPv4', () => {
    expect(rateLimitClient('203.0.113.7')).toBe('203.0.113.7');
    expect(rateLimitClient('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(rateLimitClient('::FFFF:203.0.113.7')).toBe('203.0.113.7');
    expect(rateLimitClient('0:0:0:0:0:ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('puts every address of one /64 in one bucket, however it is written', () => {
    const bucket = '2001:0db8:0001:0002::/64';
    for (const address of [
      '2001:db8:1:2::1',
      '2001:db8:1:2:ffff:ffff:ffff:ffff',
      '2001:DB8:1:2:a:b:c:d',
      '2001:0db8:0001:0002:0000:0000:0000:0001',
      '2001:db8:1:2::1%eth0',
      '2001:db8:1:2::203.0.113.7',
    ]) {
      expect(rateLimitClient(address), address).toBe(bucket);
    }
  });

  it('gives different /64s different buckets', () => {
    expect(rateLimitClient('2001:db8:1:2::1')).not.toBe(rateLimitClient('2001:db8:1:3::1'));
    expect(rateLimitClient('::1')).toBe('0000:0000:0000:0000::/64');
    expect(rateLimitClient('2001:db8::')).toBe('2001:0db8:0000:0000::/64');
  });

  it('keeps what is no IPv6 address as it is', () => {
    expect(rateLimitClient('unknown')).toBe('unknown');
    expect(rateLimitClient('1:2:3')).toBe('1:2:3');
    expect(rateLimitClient('1::2::3')).toBe('1::2::3');
    expect(rateLimitClient('1:2:3:4:5:6:7:8:9')).toBe('1:2:3:4:5:6:7:8:9');
  });
});
