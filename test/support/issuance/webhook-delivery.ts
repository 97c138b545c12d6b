/**
 * A delivery to Sello's outcomes webhook (`POST /api/outcomes`) as a custom integration
 * sends it: the body signed with the platform's secret (HMAC-SHA256 over timestamp,
 * idempotency key and body: scheme v2, or the older v1 over timestamp and body), the
 * timestamp and the idempotency key in headers.
 */
import request from 'supertest';
import { signWebhookBody, signWebhookDelivery } from '../../../src/outcomes/webhook-signature.ts';

/** A quiz grade for learner `ana` in the course, as JSON. */
export function quizGradeBody(lmsContextId: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ context: lmsContextId, learner: 'ana', activity: 'quiz3', score: 90, max: 100, at: new Date().toISOString(), ...fields });
}

export function deliverOutcome(
  target: Parameters<typeof request>[0],
  params: {
    platformId: string;
    secret: string;
    key: string;
    body: string;
    /** What the signature covers; the body itself unless a test tampers with it. */
    signedBody?: string;
    timestamp?: number;
    /** v2 unless a test sends the deprecated v1. */
    scheme?: 'v1' | 'v2';
    /** A captured signature header to send as is (replay tests). */
    signature?: string;
  },
) {
  const timestamp = params.timestamp ?? Math.floor(Date.now() / 1000);
  const signed = params.signedBody ?? params.body;
  const signature =
    params.signature ??
    (params.scheme === 'v1'
      ? signWebhookBody({ secret: params.secret, timestamp, body: signed })
      : signWebhookDelivery({ secret: params.secret, timestamp, idempotencyKey: params.key, body: signed }));
  return request(target)
    .post('/api/outcomes')
    .set('content-type', 'application/json')
    .set('accept', 'application/json')
    .set('x-sello-platform', params.platformId)
    .set('x-sello-timestamp', String(timestamp))
    .set('x-sello-signature', signature)
    .set('idempotency-key', params.key)
    .send(params.body);
}
