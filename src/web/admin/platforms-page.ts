/**
 * `/admin/platforms`: the LMS registrations, as pages that work without JavaScript.
 * The list approves pending Dynamic Registrations, rejects or approves waiting requests,
 * disables and enables platforms, makes one-time registration links and adds a platform by
 * hand; `/admin/platforms/:id` edits one platform (name, endpoints), its REST connector
 * and its webhook secret. Errors sit next to the field or the row that caused them; a
 * success redirects (303) to a page that shows only its message.
 */
import { Router, type Request, type Response } from 'express';
import type { Lti } from '../../lti/provider.ts';
import { LtiError } from '../../lti/errors.ts';
import { manualRegistration, platformInputSchema } from '../../lti/platform-registry.ts';
import { toolEndpoints } from '../../lti/tool-configuration.ts';
import { AppError } from '../../errors.ts';
import { createAuditRepository } from '../../storage/audit-repository.ts';
import type { Database } from '../../storage/database.ts';
import { createIssuerRepository } from '../../storage/issuer-repository.ts';
import { createPlatformRepository, type Platform } from '../../storage/platform-repository.ts';
import { statusForCode } from '../errors.ts';
import { formatDateTime, hasTranslation, translate, type Locale } from '../i18n.ts';
import { redirectDone, renderAdminPage, type AdminPageContext, type FieldErrors } from './admin-page.ts';
import { makeWebhookSecret, parseForm, platformEndpointsSchema, platformNameSchema, platformSettingsView, saveConnector } from './platform-settings.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ADD_FIELDS = ['name', 'issuer', 'clientId', 'authUrl', 'tokenUrl', 'jwksUrl', 'deploymentId'] as const;

export interface AdminPlatformPagesDependencies {
  db: Database;
  kek: Buffer;
  lti: Pick<Lti, 'registry' | 'invites'> & Partial<Pick<Lti, 'registrationFailures'>>;
  publicUrl: string;
  context: AdminPageContext;
}

/** An error's message in the page's language: `admin.error.<code>` when there is one. */
function errorMessage(error: unknown, locale: Locale): string {
  const code = error instanceof AppError ? error.code : 'internal_error';
  return translate(locale, hasTranslation(`admin.error.${code}`) ? `admin.error.${code}` : 'admin.error.generic');
}

export function adminPlatformPagesRouter(deps: AdminPlatformPagesDependencies): Router {
  const router = Router();
  const { db, kek, lti, context } = deps;
  const requireSession = context.session.require();
  const endpoints = toolEndpoints(deps.publicUrl);
  const platforms = createPlatformRepository(db);

  const showList = async (
    req: Request,
    res: Response,
    extra: { addValues?: Record<string, string>; addErrors?: FieldErrors; rowErrors?: Record<string, string>; invite?: { url: string; expires: string }; status?: number } = {},
  ) => {
    const locale = res.locals.locale as Locale;
    const list = await lti.registry.list();
    const requests = await lti.registry.listRequests();
    const shownIds = new Set([...list.map((platform) => platform.id), ...requests.map((request) => request.id)]);
    // An error about a row that is no longer listed goes at the top, where it is seen.
    const formError = Object.entries(extra.rowErrors ?? {}).find(([id]) => !shownIds.has(id))?.[1] ?? null;
    renderAdminPage(context, req, res, {
      page: 'admin-platforms',
      section: 'platforms',
      titleKey: 'admin.platforms.title',
      status: extra.status,
      data: {
        formError,
        endpoints,
        platforms: list.map((platform) => ({
          id: platform.id,
          name: platform.name,
          iss: platform.iss,
          clientId: platform.clientId,
          status: platform.status,
          statusLabel: translate(locale, `admin.platforms.status.${platform.status}`),
          pending: platform.status === 'pending',
          active: platform.status === 'active',
          disabled: platform.status === 'disabled',
          error: extra.rowErrors?.[platform.id] ?? null,
        })),
        requests: requests.map((request) => ({
          id: request.id,
          iss: request.iss,
          clientId: request.clientId,
          name: request.name,
          error: extra.rowErrors?.[request.id] ?? null,
        })),
        failures: (lti.registrationFailures?.list() ?? []).map((failure) => ({ ...failure, at: formatDateTime(failure.at, locale) })),
        addFields: ADD_FIELDS.map((name) => ({
          name,
          label: translate(locale, `admin.platforms.field.${name}`),
          value: extra.addValues?.[name] ?? '',
          error: extra.addErrors?.[name] ?? null,
          required: name !== 'name' && name !== 'deploymentId',
        })),
        invite: extra.invite ?? null,
      },
    });
  };

  router.get('/admin/platforms', requireSession, async (req, res) => showList(req, res));

  router.post('/admin/platforms', requireSession, async (req, res) => {
    const locale = res.locals.locale as Locale;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const values = Object.fromEntries(ADD_FIELDS.map((field) => [field, typeof body[field] === 'string' ? (body[field] as string) : '']));
    const input = Object.fromEntries(Object.entries(values).filter(([field, value]) => value.trim() !== '' || !['name', 'deploymentId'].includes(field)));
    const parsed = platformInputSchema.safeParse(input);
    if (!parsed.success) {
      const errors: FieldErrors = {};
      for (const issue of parsed.error.issues) errors[String(issue.path[0])] ??= translate(locale, `admin.platforms.error.${String(issue.path[0])}`);
      await showList(req, res, { addValues: values, addErrors: errors, status: 400 });
      return;
    }
    await lti.registry.register(manualRegistration(parsed.data, 'manual'));
    redirectDone(res, '/admin/platforms', 'added');
  });

  router.post('/admin/platforms/invite', requireSession, async (req, res) => {
    const locale = res.locals.locale as Locale;
    const invite = await lti.invites.create({ createdBy: 'admin' });
    await showList(req, res, { invite: { url: invite.url, expires: formatDateTime(invite.expiresAt, locale) } });
  });

  const action = (name: 'approve' | 'reject' | 'disable' | 'enable', run: (id: string) => Promise<unknown>, done: string) =>
    router.post(`/admin/platforms/:id/${name}`, requireSession, async (req, res) => {
      const id = String(req.params.id);
      try {
        if (!UUID.test(id)) throw new LtiError('platform_not_found', `No platform ${id}`);
        await run(id);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        await showList(req, res, { rowErrors: { [id]: errorMessage(error, res.locals.locale as Locale) }, status: statusForCode(error.code) });
        return;
      }
      redirectDone(res, '/admin/platforms', done);
    });
  action('approve', (id) => lti.registry.approve(id, 'admin'), 'approved');
  action('reject', (id) => lti.registry.reject(id, 'admin'), 'rejected');
  action(
    'disable',
    async (id) => {
      await lti.registry.setStatus(id, 'disabled');
      await createAuditRepository(db).record({ actor: 'admin', action: 'platform.disabled', subject: id });
    },
    'disabled',
  );
  action(
    'enable',
    async (id) => {
      await lti.registry.setStatus(id, 'active');
      await createAuditRepository(db).record({ actor: 'admin', action: 'platform.enabled', subject: id });
    },
    'enabled',
  );

  // ---- one platform ------------------------------------------------------------------

  const findPlatform = async (raw: unknown): Promise<Platform | null> => {
    const id = String(raw);
    return UUID.test(id) ? platforms.findById(id) : null;
  };

  const showPlatform = async (
    req: Request,
    res: Response,
    platform: Platform,
    extra: { details?: Record<string, string>; detailErrors?: FieldErrors; connector?: Record<string, string>; connectorErrors?: FieldErrors; newSecret?: string; status?: number } = {},
  ) => {
    const locale = res.locals.locale as Locale;
    const settings = await platformSettingsView({ db, kek, platform, locale });
    renderAdminPage(context, req, res, {
      page: 'admin-platform',
      section: 'platforms',
      titleKey: 'admin.platform.title',
      status: extra.status,
      langPath: `/admin/platforms/${platform.id}`,
      data: {
        settings,
        base: `/admin/platforms/${platform.id}`,
        auth: { name: '_admin_csrf', value: context.session.csrfToken(req) },
        editEndpoints: true,
        details: extra.details ?? { name: platform.name, authUrl: platform.authUrl ?? '', tokenUrl: platform.tokenUrl ?? '', jwksUrl: platform.jwksUrl ?? '' },
        detailErrors: extra.detailErrors ?? {},
        connector: extra.connector ?? { kind: settings.connector?.kind ?? 'moodle', baseUrl: settings.connector?.baseUrl ?? '' },
        connectorErrors: extra.connectorErrors ?? {},
        newSecret: extra.newSecret ?? null,
      },
    });
  };

  router.get('/admin/platforms/:id', requireSession, async (req, res, next) => {
    const platform = await findPlatform(req.params.id);
    if (!platform) return next();
    await showPlatform(req, res, platform);
  });

  router.post('/admin/platforms/:id/details', requireSession, async (req, res, next) => {
    const platform = await findPlatform(req.params.id);
    if (!platform) return next();
    const locale = res.locals.locale as Locale;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const outcome = parseForm(platformNameSchema.merge(platformEndpointsSchema), body, ['name', 'authUrl', 'tokenUrl', 'jwksUrl'], locale, (field) => `admin.platforms.error.${field}`);
    if (!outcome.ok) {
      await showPlatform(req, res, platform, { details: outcome.values, detailErrors: outcome.errors, status: 400 });
      return;
    }
    const issuer = await createIssuerRepository(db).findById(platform.issuerId);
    await lti.registry.register({
      iss: platform.iss,
      clientId: platform.clientId,
      ...outcome.value,
      product: platform.product,
      status: platform.status,
      issuerSlug: issuer?.slug,
      registeredVia: platform.registeredVia,
    });
    await createAuditRepository(db).record({ actor: 'admin', action: 'platform.updated', subject: platform.id });
    redirectDone(res, `/admin/platforms/${platform.id}`, 'saved');
  });

  router.post('/admin/platforms/:id/connector', requireSession, async (req, res, next) => {
    const platform = await findPlatform(req.params.id);
    if (!platform) return next();
    const outcome = await saveConnector({ db, kek, platformId: platform.id, body: (req.body ?? {}) as Record<string, unknown>, locale: res.locals.locale as Locale, actor: 'admin' });
    if (!outcome.ok) {
      await showPlatform(req, res, platform, { connector: outcome.values, connectorErrors: outcome.errors, status: 400 });
      return;
    }
    redirectDone(res, `/admin/platforms/${platform.id}`, 'connector');
  });

  router.post('/admin/platforms/:id/webhook-secret', requireSession, async (req, res, next) => {
    const platform = await findPlatform(req.params.id);
    if (!platform) return next();
    const secret = await makeWebhookSecret({ db, kek, platformId: platform.id, actor: 'admin' });
    // Rendered in this answer, never redirected to: the secret must not sit in a URL.
    await showPlatform(req, res, platform, { newSecret: secret });
  });
  return router;
}
