import { describe, expect, it } from 'vitest';
import { classifyAddress, isAddressAllowed } from '../../../src/outbound/address-policy.ts';

describe('classifying the addresses Sello may connect to', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.10', 'private'],
    ['100.64.0.1', 'private'],
    ['100.100.100.200', 'private'],
    ['fc00::1', 'private'],
    ['fd00:ec2::254', 'private'],
    ['169.254.169.254', 'link_local'],
    ['169.254.0.1', 'link_local'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.7', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['example.edu', 'invalid'],
    ['8.8.8.8', 'public'],
    ['172.32.0.1', 'public'],
    ['100.128.0.1', 'public'],
    ['2606:4700:4700::1111', 'public'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link_local'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'link_local'],
    ['64:ff9b::808:808', 'public'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:c0a8:101::1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
  ])('sees through the IPv4 address carried by %s (%s)', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it('refuses loopback and private addresses unless allowed, and link-local, unspecified and multicast always', () => {
    const closed = { allowPrivate: false };
    const open = { allowPrivate: true };
    expect(isAddressAllowed('8.8.8.8', closed)).toBe(true);
    expect(isAddressAllowed('127.0.0.1', closed)).toBe(false);
    expect(isAddressAllowed('::ffff:192.168.0.1', closed)).toBe(false);
    expect(isAddressAllowed('127.0.0.1', open)).toBe(true);
    expect(isAddressAllowed('10.0.0.5', open)).toBe(true);
    expect(isAddressAllowed('169.254.169.254', open)).toBe(false);
    expect(isAddressAllowed('0.0.0.0', open)).toBe(false);
    expect(isAddressAllowed('::', open)).toBe(false);
    expect(isAddressAllowed('224.0.0.1', open)).toBe(false);
    expect(isAddressAllowed('not-an-address', open)).toBe(false);
  });
});
