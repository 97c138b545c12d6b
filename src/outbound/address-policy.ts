/**
 * Which IP addresses Sello may open a connection to. Every outbound request is checked
 * after DNS resolution, on the address it will connect to, so that a host name cannot
 * smuggle Sello into its own network (SSRF) nor rebind between check and connection.
 *
 * Ranges: IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890),
 * https://www.iana.org/assignments/iana-ipv4-special-registry/
 * https://www.iana.org/assignments/iana-ipv6-special-registry/
 */
import net from 'node:net';

/**
 * What an address is, as far as reaching it from Sello goes:
 * - `public`: anywhere on the internet;
 * - `loopback`, `private` (RFC 1918, CGNAT, IPv6 unique local): the machine or network
 *   Sello runs in; reachable only when the administrator allows it (`OUTBOUND_ALLOW_PRIVATE`);
 * - `link_local` (cloud metadata services live at 169.254.169.254 / fd00:ec2::254),
 *   `unspecified` (0.0.0.0 and :: reach the local machine), `multicast`, `reserved`
 *   (documentation, benchmarking, future use, broadcast): never an LMS, always refused.
 */
export type AddressKind = 'public' | 'loopback' | 'private' | 'link_local' | 'unspecified' | 'multicast' | 'reserved' | 'invalid';

/** The kinds `OUTBOUND_ALLOW_PRIVATE=true` opens; every other non-public kind stays refused. */
const OPENED_BY_ALLOW_PRIVATE: ReadonlySet<AddressKind> = new Set(['loopback', 'private']);

type Range4 = readonly [base: number, prefix: number, kind: AddressKind];

const ipv4Ranges: readonly Range4[] = [
  [ipv4ToInt('0.0.0.0'), 8, 'unspecified'],
  [ipv4ToInt('10.0.0.0'), 8, 'private'],
  [ipv4ToInt('100.64.0.0'), 10, 'private'],
  [ipv4ToInt('127.0.0.0'), 8, 'loopback'],
  [ipv4ToInt('169.254.0.0'), 16, 'link_local'],
  [ipv4ToInt('172.16.0.0'), 12, 'private'],
  [ipv4ToInt('192.0.0.0'), 24, 'reserved'],
  [ipv4ToInt('192.0.2.0'), 24, 'reserved'],
  [ipv4ToInt('192.88.99.0'), 24, 'reserved'],
  [ipv4ToInt('192.168.0.0'), 16, 'private'],
  [ipv4ToInt('198.18.0.0'), 15, 'reserved'],
  [ipv4ToInt('198.51.100.0'), 24, 'reserved'],
  [ipv4ToInt('203.0.113.0'), 24, 'reserved'],
  [ipv4ToInt('224.0.0.0'), 4, 'multicast'],
  [ipv4ToInt('240.0.0.0'), 4, 'reserved'],
];

function ipv4ToInt(address: string): number {
  return address.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
}

function classifyIpv4(address: string): AddressKind {
  const value = ipv4ToInt(address);
  for (const [base, prefix, kind] of ipv4Ranges) {
    const size = 2 ** (32 - prefix);
    if (value >= base && value < base + size) return kind;
  }
  return 'public';
}

/** `::ffff:1.2.3.4` or `fe80::1%eth0` → eight 16-bit groups (null when not IPv6). */
function ipv6Groups(address: string): number[] | null {
  let text = address.replace(/%.*$/, '');
  if (net.isIPv6(text) === false) return null;
  // A dotted IPv4 tail holds the last two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4ToInt(dotted[1]!);
    text = `${text.slice(0, -dotted[1]!.length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(tail === null ? 0 : missing).fill('0'), ...tailGroups].map((group) => parseInt(group, 16));
  return groups.length === 8 && groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff) ? groups : null;
}

function embeddedIpv4(high: number, low: number): string {
  return `${high >>> 8}.${high & 0xff}.${low >>> 8}.${low & 0xff}`;
}

function classifyIpv6(groups: number[]): AddressKind {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  const zeroUpTo = (n: number) => groups.slice(0, n).every((group) => group === 0);
  if (zeroUpTo(8)) return 'unspecified';
  if (zeroUpTo(7) && g7 === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible (::a.b.c.d) forms
  // reach the IPv4 address they carry.
  if (zeroUpTo(5) && g5 === 0xffff) return classifyIpv4(embeddedIpv4(g6, g7));
  if (zeroUpTo(6)) return classifyIpv4(embeddedIpv4(g6, g7));
  // NAT64 (64:ff9b::/96) translates to the IPv4 address it carries; 64:ff9b:1::/48 is local use.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return classifyIpv4(embeddedIpv4(g6, g7));
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return 'private';
  // 6to4 (2002::/16) reaches the IPv4 address in groups 1 and 2.
  if (g0 === 0x2002) return classifyIpv4(embeddedIpv4(g1, g2));
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return 'reserved'; // discard-only 100::/64
  if (g0 === 0x2001 && g1 === 0xdb8) return 'reserved'; // documentation
  if (g0 === 0x2001 && g1 < 0x200) return 'reserved'; // IETF protocol assignments, Teredo included
  if ((g0 & 0xfe00) === 0xfc00) return 'private'; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return 'link_local';
  if ((g0 & 0xffc0) === 0xfec0) return 'private'; // deprecated site-local
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  return 'public';
}

/**
 * Classifies an IP address (IPv4, IPv6, IPv4-mapped IPv6, with or without a zone).
 * Host names are `invalid`: resolve them first.
 */
export function classifyAddress(address: string): AddressKind {
  const bare = address.replace(/^\[|\]$/g, '');
  if (net.isIPv4(bare)) return classifyIpv4(bare);
  const groups = ipv6Groups(bare);
  return groups ? classifyIpv6(groups) : 'invalid';
}

/** True when Sello may connect to `address` under the given policy. */
export function isAddressAllowed(address: string, { allowPrivate }: { allowPrivate: boolean }): boolean {
  const kind = classifyAddress(address);
  return kind === 'public' || (allowPrivate && OPENED_BY_ALLOW_PRIVATE.has(kind));
}
