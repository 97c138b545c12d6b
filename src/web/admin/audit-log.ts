/**
 * `/admin/audit`: who did what and why (the append-only `audit_log`), newest first, 50 a
 * page (`?before=<id>` for the next), filtered by action (`?action=`), with plain GET
 * links and a GET form, so it works without JavaScript.
 */
import { Router } from 'express';
import { createAuditRepository } from '../../storage/audit-repository.ts';
import type { Queryable } from '../../storage/database.ts';
import { formatDateTime, hasTranslation, translate, type Locale } from '../i18n.ts';
import { renderAdminPage, type AdminPageContext } from './admin-page.ts';

const PAGE = 50;

/** An action's label in the page's language; an action newer than the catalogue shows as it is recorded. */
export function auditActionLabel(action: string, locale: Locale): string {
  const key = `admin.audit.action.${action}`;
  return hasTranslation(key) ? translate(locale, key) : action;
}

export function adminAuditRouter({ db, context }: { db: Queryable; context: AdminPageContext }): Router {
  const router = Router();
  const audit = createAuditRepository(db);

  router.get('/admin/audit', context.session.require(), async (req, res) => {
    const locale = res.locals.locale as Locale;
    const actions = await audit.listActions();
    const action = typeof req.query.action === 'string' && actions.includes(req.query.action) ? req.query.action : null;
    const before = typeof req.query.before === 'string' && /^\d{1,15}$/.test(req.query.before) ? Number(req.query.before) : null;
    const entries = await audit.list({ action, beforeId: before, limit: PAGE + 1 });
    const shown = entries.slice(0, PAGE);
    const query = (extra: Record<string, string>) => `?${new URLSearchParams({ ...(action ? { action } : {}), ...extra }).toString()}`;
    renderAdminPage(context, req, res, {
      page: 'admin-audit',
      section: 'audit',
      titleKey: 'admin.audit.title',
      data: {
        actions: actions.map((value) => ({ value, label: auditActionLabel(value, locale), selected: value === action })),
        entries: shown.map((entry) => ({
          at: formatDateTime(entry.at, locale),
          actor: entry.actor,
          action: auditActionLabel(entry.action, locale),
          subject: entry.subject,
          reason: entry.reason,
        })),
        next: entries.length > PAGE ? query({ before: String(shown[shown.length - 1]!.id) }) : null,
        first: before !== null ? query({}) : null,
      },
    });
  });
  return router;
}
