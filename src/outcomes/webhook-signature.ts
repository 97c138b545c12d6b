/**
 * The outcomes webhook's signature: `X-Sello-Signature: sha256=<hex>` where the hex is
 * HMAC-SHA256, keyed with the platform's webhook secret, over `<timestamp>.<raw body>`
 * (`X-Sello-Timestamp`, unix seconds). Signing the timestamp with the body means a
 * captured request cannot be replayed later with a fresh timestamp.
 */
import crypto from 'node:crypto';

export const SIGNATURE_HEADER = 'x-sello-signature';
export const TIMESTAMP_HEADER = 'x-sello-timestamp';
export const PLATFORM_HEADER = 'x-sello-platform';
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** How far the timestamp may be from now, either way. */
export const MAX_CLOCK_SKEW_S = 5 * 60;

export function signWebhookBody({ secret, timestamp, body }: { secret: string; timestamp: number; body: Buffer | string }): string {
  const mac = crypto.createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  return `sha256=${mac}`;
}

/** Constant-time check of a signature header against the body. */
export function webhookSignatureMatches({ secret, timestamp, body, signature }: { secret: string; timestamp: number; body: Buffer; signature: string }): boolean {
  const expected = Buffer.from(signWebhookBody({ secret, timestamp, body }));
  const given = Buffer.from(signature.trim());
  return expected.length === given.length && crypto.timingSafeEqual(expected, given);
}

/** A new random secret to give a platform's integrator (256 bits, base64url). */
export function newWebhookSecret(): string {
  return crypto.randomBytes(32).toString('base64url');
}
