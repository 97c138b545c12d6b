/**
 * The outcomes webhook's signature, HMAC-SHA256 keyed with the platform's webhook secret,
 * in `X-Sello-Signature`, with `X-Sello-Timestamp` (unix seconds) and `Idempotency-Key`:
 *
 * - **v2** (current): `v2=<hex>` over `<timestamp>.<idempotency key>.<raw body>`. The key is
 *   signed too, so a captured delivery cannot be re-sent under a new key: re-sent under
 *   its own key it only gets the first answer back.
 * - **v1** (deprecated, still accepted): `sha256=<hex>` over `<timestamp>.<raw body>`. Sello
 *   remembers each v1 signature for its 5-minute window with the key it came with and
 *   refuses it under any other key.
 *
 * Signing the timestamp means a captured request cannot be replayed later with a fresh one.
 */
import crypto from 'node:crypto';

export const SIGNATURE_HEADER = 'x-sello-signature';
export const TIMESTAMP_HEADER = 'x-sello-timestamp';
export const PLATFORM_HEADER = 'x-sello-platform';
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** How far the timestamp may be from now, either way. */
export const MAX_CLOCK_SKEW_S = 5 * 60;

export type WebhookSignatureScheme = 'v1' | 'v2';

/** A v2 signature header value: `v2=` HMAC over `timestamp.idempotencyKey.body`. */
export function signWebhookDelivery({
  secret,
  timestamp,
  idempotencyKey,
  body,
}: {
  secret: string;
  timestamp: number;
  idempotencyKey: string;
  body: Buffer | string;
}): string {
  const mac = crypto.createHmac('sha256', secret).update(`${timestamp}.${idempotencyKey}.`).update(body).digest('hex');
  return `v2=${mac}`;
}

/**
 * A v1 signature header value (`sha256=` over `timestamp.body`).
 * @deprecated Use `signWebhookDelivery` (v2), which also covers the idempotency key.
 */
export function signWebhookBody({ secret, timestamp, body }: { secret: string; timestamp: number; body: Buffer | string }): string {
  const mac = crypto.createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  return `sha256=${mac}`;
}

/**
 * Constant-time check of a signature header (v2 or v1) against the delivery; the scheme
 * that matched, or null.
 */
export function verifyWebhookSignature({
  secret,
  timestamp,
  idempotencyKey,
  body,
  signature,
}: {
  secret: string;
  timestamp: number;
  idempotencyKey: string;
  body: Buffer;
  signature: string;
}): WebhookSignatureScheme | null {
  const given = Buffer.from(signature.trim());
  const scheme: WebhookSignatureScheme = given.subarray(0, 3).toString() === 'v2=' ? 'v2' : 'v1';
  const expected = Buffer.from(
    scheme === 'v2' ? signWebhookDelivery({ secret, timestamp, idempotencyKey, body }) : signWebhookBody({ secret, timestamp, body }),
  );
  return expected.length === given.length && crypto.timingSafeEqual(expected, given) ? scheme : null;
}

/** A new random secret to give a platform's integrator (256 bits, base64url). */
export function newWebhookSecret(): string {
  return crypto.randomBytes(32).toString('base64url');
}
