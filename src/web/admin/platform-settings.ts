/**
 * One platform's own settings, as both the deployment admin (`/admin/platforms/:id`) and
 * that LMS's own administrator (`/app/admin`, from an LTI launch) change them: its display
 * name (and, for the deployment admin only, its endpoints), its REST connector and its
 * webhook secret. The forms and their validation are the same on both pages; what differs
 * is who may reach which platform, which the routes decide.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import type { Database } from '../../storage/database.ts';
import { createAuditRepository } from '../../storage/audit-repository.ts';
import { createOutcomeSecretRepository } from '../../storage/outcome-secret-repository.ts';
import type { Platform } from '../../storage/platform-repository.ts';
import { formatDateTime, translate, type Locale } from '../i18n.ts';
import { connectorSchema } from './outcome-sources.ts';
import { fieldErrors, type FieldErrors } from './admin-page.ts';

const httpUrl = z
  .string()
  .trim()
  .max(2000)
  .url()
  .refine((value) => /^https?:\/\//.test(value));

export const platformNameSchema = z.object({ name: z.string().trim().min(1).max(200) });
export const platformEndpointsSchema = z.object({ authUrl: httpUrl, tokenUrl: httpUrl, jwksUrl: httpUrl });

export type FormOutcome<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors; values: Record<string, string> };

const text = (body: Record<string, unknown>, field: string) => (typeof body[field] === 'string' ? (body[field] as string) : '');

export function parseForm<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, body: Record<string, unknown>, fields: readonly string[], locale: Locale, errorKey: (field: string) => string): FormOutcome<T> {
  const values = Object.fromEntries(fields.map((field) => [field, text(body, field)]));
  const parsed = schema.safeParse(values);
  if (parsed.success) return { ok: true, value: parsed.data };
  // The token is never echoed back into the page.
  return { ok: false, errors: fieldErrors(locale, parsed.error.issues, errorKey), values: { ...values, token: '' } };
}

export interface PlatformSettingsView {
  platform: { id: string; name: string; iss: string; clientId: string; status: string; statusLabel: string; product: string; authUrl: string; tokenUrl: string; jwksUrl: string; deploymentIds: string[] };
  connector: { kind: string; kindLabel: string; baseUrl: string; updated: string; tokenSet: boolean } | null;
  webhook: { set: boolean; created: string | null };
}

export async function platformSettingsView(params: { db: Database; kek: Buffer; platform: Platform; locale: Locale }): Promise<PlatformSettingsView> {
  const { platform, locale } = params;
  const overview = await createOutcomeSecretRepository({ db: params.db, kek: params.kek }).describeOutcomeSources(platform.id);
  return {
    platform: {
      id: platform.id,
      name: platform.name,
      iss: platform.iss,
      clientId: platform.clientId,
      status: platform.status,
      statusLabel: translate(locale, `admin.platforms.status.${platform.status}`),
      product: platform.product,
      authUrl: platform.authUrl ?? '',
      tokenUrl: platform.tokenUrl ?? '',
      jwksUrl: platform.jwksUrl ?? '',
      deploymentIds: platform.deploymentIds,
    },
    connector: overview.connector
      ? {
          kind: overview.connector.kind,
          kindLabel: translate(locale, `admin.connector.kind.${overview.connector.kind}`),
          baseUrl: overview.connector.baseUrl,
          updated: formatDateTime(overview.connector.updatedAt, locale),
          tokenSet: overview.connector.tokenSet,
        }
      : null,
    webhook: overview.webhook.secretSet ? { set: true, created: formatDateTime(overview.webhook.createdAt, locale) } : { set: false, created: null },
  };
}

/** Validates and stores the connector (its token encrypted); field errors otherwise. */
export async function saveConnector(params: { db: Database; kek: Buffer; platformId: string; body: Record<string, unknown>; locale: Locale; actor: string }): Promise<FormOutcome<null>> {
  const outcome = parseForm(connectorSchema, params.body, ['kind', 'baseUrl', 'token'], params.locale, (field) => `admin.connector.error.${field}`);
  if (!outcome.ok) return outcome;
  await createOutcomeSecretRepository({ db: params.db, kek: params.kek }).setConnector({ platformId: params.platformId, ...outcome.value });
  await createAuditRepository(params.db).record({
    actor: params.actor,
    action: 'platform.connector_set',
    subject: params.platformId,
    details: { kind: outcome.value.kind, baseUrl: outcome.value.baseUrl },
  });
  return { ok: true, value: null };
}

/** Makes (or replaces) the webhook secret and returns it: the only time anyone sees it. */
export async function makeWebhookSecret(params: { db: Database; kek: Buffer; platformId: string; actor: string }): Promise<string> {
  const secret = `whsec_${crypto.randomBytes(32).toString('base64url')}`;
  await createOutcomeSecretRepository({ db: params.db, kek: params.kek }).setWebhookSecret(params.platformId, secret);
  await createAuditRepository(params.db).record({ actor: params.actor, action: 'platform.webhook_secret_made', subject: params.platformId });
  return secret;
}
