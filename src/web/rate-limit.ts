/**
 * A per-client rate limit for public endpoints that cost CPU (the VC API verifiers): a
 * token bucket per client address, `perMinute` requests with bursts of as many, refilled
 * continuously. Over the limit: 429 `rate_limited` with `Retry-After` in seconds
 * (https://www.rfc-editor.org/rfc/rfc9110#field.retry-after,
 * https://www.rfc-editor.org/rfc/rfc6585#section-4).
 *
 * The client is `req.ip`: behind a reverse proxy that sets X-Forwarded-For, express's
 * `trust proxy` decides how far that header is believed. An IPv6 client is its /64 (see
 * `rateLimitClient`). Buckets live in memory, per process: with several Sello processes
 * each enforces its own share.
 */
import type { RequestHandler } from 'express';
import { HttpError } from '../errors.ts';

export interface RateLimitOptions {
  /** Requests per minute per client; 0 turns the limit off. */
  perMinute: number;
  now?: () => number;
  /** Buckets kept at most; full (idle) buckets are forgotten first. */
  maxClients?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function rateLimit(options: RateLimitOptions): RequestHandler {
  const { perMinute } = options;
  if (perMinute <= 0) return (_req, _res, next) => next();
  const now = options.now ?? Date.now;
  const maxClients = options.maxClients ?? 100_000;
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, Bucket>();

  const refill = (bucket: Bucket, at: number) => {
    bucket.tokens = Math.min(perMinute, bucket.tokens + (at - bucket.at) * perMs);
    bucket.at = at;
  };

  const forgetIdle = (at: number) => {
    for (const [client, bucket] of buckets) {
      refill(bucket, at);
      if (bucket.tokens >= perMinute) buckets.delete(client);
    }
    // Still too many: the oldest entries go (Map keeps insertion order).
    for (const client of buckets.keys()) {
      if (buckets.size <= maxClients / 2) break;
      buckets.delete(client);
    }
  };

  return (req, res, next) => {
    const at = now();
    const client = rateLimitClient(req.ip ?? req.socket.remoteAddress ?? 'unknown');
    let bucket = buckets.get(client);
    if (!bucket) {
      if (buckets.size >= maxClients) forgetIdle(at);
      bucket = { tokens: perMinute, at };
      buckets.set(client, bucket);
    } else {
      refill(bucket, at);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      next();
      return;
    }
    const retryAfterS = Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
    res.set('retry-after', String(retryAfterS));
    next(new HttpError('rate_limited', `Too many verification requests; try again in ${retryAfterS} s`, { retryAfterS, perMinute }));
  };
}

/**
 * The bucket an address counts against. An IPv4 address is itself (an IPv4-mapped IPv6
 * one, `::ffff:192.0.2.1`, too). An IPv6 address is its /64: one subscriber is routinely
 * given a whole /64 (RFC 6177) and can send from any of its 2^64 addresses, so a bucket
 * per address let one client through as many times over as it cared to pick addresses.
 */
export function rateLimitClient(address: string): string {
  const bare = address.split('%')[0]!.toLowerCase();
  if (!bare.includes(':')) return bare;
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(bare);
  if (mapped) return mapped[1]!;
  const hextets = expandIpv6(bare);
  return hextets ? `${hextets.slice(0, 4).join(':')}::/64` : bare;
}

/** The eight 16-bit groups of an IPv6 address, as four hex digits each; null when it is none. */
function expandIpv6(address: string): string[] | null {
  let text = address;
  // A dotted IPv4 tail (`::1.2.3.4`) is the last two groups.
  const tail = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return null;
  return groups.map((group) => group.padStart(4, '0'));
}
