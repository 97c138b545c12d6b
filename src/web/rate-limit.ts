/**
 * A per-client rate limit for public endpoints that cost CPU (the VC API verifiers): a
 * token bucket per client address, `perMinute` requests with bursts of as many, refilled
 * continuously. Over the limit: 429 `rate_limited` with `Retry-After` in seconds
 * (https://www.rfc-editor.org/rfc/rfc9110#field.retry-after,
 * https://www.rfc-editor.org/rfc/rfc6585#section-4).
 *
 * The client is `req.ip`: behind a reverse proxy that sets X-Forwarded-For, express's
 * `trust proxy` decides how far that header is believed. Buckets live in memory, per
 * process: with several Sello processes each enforces its own share.
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
    const client = req.ip ?? req.socket.remoteAddress ?? 'unknown';
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
