/**
 * `POST /api/outcomes`: grades and completions from custom integrations. Mounted before
 * the app's body parsers, because the signature covers the raw bytes.
 *
 * Request: headers `X-Sello-Platform` (platform id), `X-Sello-Timestamp` (unix seconds,
 * within 5 minutes), `X-Sello-Signature` (`v2=` HMAC over timestamp, idempotency key and
 * body; the older `sha256=` still accepted, see webhook-signature.ts), `Idempotency-Key`;
 * body one event or `{events: [...]}` (see outcome-event.ts).
 * Answers 202 with what changed; a repeated idempotency key gets the first answer back.
 */
import crypto from 'node:crypto';
import express, { type Router } from 'express';
import type { Database } from '../../storage/database.ts';
import { createOutcomeRepository } from '../../storage/outcome-repository.ts';
import { createOutcomeSecretRepository } from '../../storage/outcome-secret-repository.ts';
import { ingestOutcomes } from '../../outcomes/ingest-outcomes.ts';
import { webhookBodySchema, type OutcomeEvent } from '../../outcomes/outcome-event.ts';
import { OutcomeError } from '../../outcomes/outcome-error.ts';
import {
  IDEMPOTENCY_HEADER,
  MAX_CLOCK_SKEW_S,
  PLATFORM_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
} from '../../outcomes/webhook-signature.ts';
import { assertSafeInput } from '../../untrusted-input.ts';

export interface OutcomesWebhookParameters {
  db: Database;
  /** Decrypts the platforms' webhook secrets (`secrets.keyEncryptionKey`). */
  kek: Buffer;
  bodyLimit: string;
  now?: () => Date;
  /** Called after events were queued (wakes this process's issuance worker). */
  onQueued?: () => void;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * @throws (as responses) 400 `missing_webhook_headers`, `missing_idempotency_key`,
 *   `invalid_outcome_event`; 401 `webhook_signature_unauthorized`,
 *   `webhook_timestamp_unauthorized`, `webhook_replay_unauthorized` (a v1 signature already
 *   used with another idempotency key); 409 `idempotency_key_conflict`; 500
 *   `secret_decryption_failed` (the platform's secret does not decrypt under this SELLO_KEK).
 */
export function outcomesWebhookRouter({ db, kek, bodyLimit, now = () => new Date(), onQueued }: OutcomesWebhookParameters): Router {
  const router = express.Router();
  const outcomes = createOutcomeRepository(db);
  const secrets = createOutcomeSecretRepository({ db, kek });
  router.post('/', express.raw({ type: () => true, limit: bodyLimit }), async (req, res) => {
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const platformId = req.get(PLATFORM_HEADER);
    const timestampText = req.get(TIMESTAMP_HEADER);
    const signature = req.get(SIGNATURE_HEADER);
    if (!platformId || !timestampText || !signature) {
      throw new OutcomeError('missing_webhook_headers', `Send ${PLATFORM_HEADER}, ${TIMESTAMP_HEADER} and ${SIGNATURE_HEADER}`);
    }
    const timestamp = Number(timestampText);
    if (!/^\d{1,12}$/.test(timestampText) || Math.abs(now().getTime() / 1000 - timestamp) > MAX_CLOCK_SKEW_S) {
      throw new OutcomeError('webhook_timestamp_unauthorized', 'The timestamp is missing, malformed or more than 5 minutes away from now');
    }
    // The key is part of what v2 signs, so it is needed before the signature is checked.
    const idempotencyKey = req.get(IDEMPOTENCY_HEADER)?.trim();
    if (!idempotencyKey || idempotencyKey.length > 200) {
      throw new OutcomeError('missing_idempotency_key', `Send an ${IDEMPOTENCY_HEADER} header (at most 200 characters)`);
    }
    const secret = UUID.test(platformId) ? await secrets.findWebhookSecret(platformId) : null;
    const scheme = secret ? verifyWebhookSignature({ secret, timestamp, idempotencyKey, body, signature }) : null;
    // Unknown platform and bad signature answer alike, so neither can be probed.
    if (!scheme) {
      throw new OutcomeError('webhook_signature_unauthorized', 'The signature does not match the body and idempotency key');
    }
    if (scheme === 'v1') {
      // v1 does not sign the key: the same signature under another key is a replay.
      const firstKey = await outcomes.rememberSignature({
        platformId,
        signatureSha256: crypto.createHash('sha256').update(signature.trim()).digest('hex'),
        idempotencyKey,
        expiresAt: new Date((timestamp + MAX_CLOCK_SKEW_S) * 1000),
        now: now(),
      });
      if (firstKey !== idempotencyKey) {
        throw new OutcomeError('webhook_replay_unauthorized', 'This signature was already used with another idempotency key; sign each delivery (use the v2 scheme)');
      }
    }
    const bodySha256 = crypto.createHash('sha256').update(body).digest('hex');
    const previous = await outcomes.findDelivery(platformId, idempotencyKey);
    if (previous) {
      if (previous.bodySha256 !== bodySha256) {
        throw new OutcomeError('idempotency_key_conflict', 'This idempotency key was used with a different body');
      }
      res.status(200).json({ ...previous.result, replayed: true });
      return;
    }
    let parsedJson: unknown;
    try {
      parsedJson = JSON.parse(body.toString('utf8'));
    } catch {
      throw new OutcomeError('invalid_outcome_event', 'The body is not valid JSON');
    }
    // The same refusals as every JSON body of the app (NUL, lone surrogates, depth): this
    // route parses its raw body itself, so the app's body guard never saw it.
    assertSafeInput(parsedJson, 'The outcome event');
    const parsed = webhookBodySchema.safeParse(parsedJson);
    if (!parsed.success) {
      throw new OutcomeError('invalid_outcome_event', 'The body is not a valid outcome event', {
        problems: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      });
    }
    const items = 'events' in parsed.data ? parsed.data.events : [parsed.data];
    const events: OutcomeEvent[] = items.map((item) => ({
      platform: platformId,
      context: item.context,
      learner: item.learner,
      learnerName: item.learnerName,
      learnerEmail: item.learnerEmail,
      activity: item.activity,
      activityName: item.activityName,
      score: item.score ?? null,
      max: item.max ?? null,
      completed: item.completed ?? null,
      at: new Date(item.at),
      source: 'webhook',
    }));
    const report = await ingestOutcomes({ db, events });
    const result = { ...report };
    if (!(await outcomes.recordDelivery(platformId, idempotencyKey, { bodySha256, result }))) {
      // A concurrent twin recorded first; its events were the same, so nothing changed twice.
      res.status(200).json({ ...result, replayed: true });
      return;
    }
    if (report.queued > 0) onQueued?.();
    res.status(202).json(result);
  });
  return router;
}
