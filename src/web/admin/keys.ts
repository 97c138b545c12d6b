/**
 * `/admin/keys`: each issuer's signing keys (DID, key id, type, validity, state) and a
 * rotate button. Rotation closes the current key (it stays published, so what it signed
 * still verifies) and makes a new one current; the composition root then registers the
 * change on-chain (`onKeysChanged`), as after `sello keys rotate`.
 */
import { Router, type Request, type Response } from 'express';
import type { IssuerKeyProvider } from '../../issuance/issuer-keys.ts';
import type { Queryable } from '../../storage/database.ts';
import { createIssuerRepository } from '../../storage/issuer-repository.ts';
import { formatDateTime, translate, type Locale } from '../i18n.ts';
import { redirectDone, renderAdminPage, type AdminPageContext } from './admin-page.ts';

export interface AdminKeysDependencies {
  db: Queryable;
  keys: Pick<IssuerKeyProvider, 'list' | 'rotate' | 'ensureKey' | 'issuerDid'>;
  onKeysChanged?: () => void;
  context: AdminPageContext;
}

export function adminKeysRouter({ db, keys, onKeysChanged, context }: AdminKeysDependencies): Router {
  const router = Router();
  const issuers = createIssuerRepository(db);
  const requireSession = context.session.require();

  /** The keys page; after a refused rotation, with its problem and a 4xx status. */
  const show = async (req: Request, res: Response, refused: { status: number; problem: string } | null = null) => {
    const locale = res.locals.locale as Locale;
    const now = Date.now();
    const rows = await Promise.all(
      (await issuers.list()).map(async (issuer) => ({
        slug: issuer.slug,
        name: issuer.name,
        did: await keys.issuerDid(issuer),
        keys: (await keys.list(issuer.id)).reverse().map((key) => {
          const state = key.revoked ? 'revoked' : key.validUntil && key.validUntil.getTime() <= now ? 'retired' : 'active';
          return {
            keyId: key.keyId,
            fragment: key.keyId.includes('#') ? key.keyId.slice(key.keyId.indexOf('#') + 1) : key.keyId,
            did: key.issuerDid,
            created: formatDateTime(key.validFrom, locale),
            until: key.validUntil ? formatDateTime(key.validUntil, locale) : null,
            state,
            stateLabel: translate(locale, `admin.keys.state.${state}`),
            active: state === 'active',
          };
        }),
      })),
    );
    renderAdminPage(context, req, res, { page: 'admin-keys', section: 'keys', titleKey: 'admin.keys.title', data: { issuers: rows, problem: refused?.problem ?? null }, status: refused?.status });
  };
  router.get('/admin/keys', requireSession, (req, res) => show(req, res));

  router.post('/admin/keys/:slug/rotate', requireSession, async (req, res) => {
    const issuer = await issuers.findBySlug(String(req.params.slug));
    if (!issuer) {
      await show(req, res, { status: 404, problem: translate(res.locals.locale as Locale, 'admin.keys.noIssuer') });
      return;
    }
    const given = (req.body as Record<string, unknown>).reason;
    const reason = typeof given === 'string' && given.trim() ? given.trim().slice(0, 500) : 'rotation';
    await keys.ensureKey(issuer.id);
    await keys.rotate(issuer.id, { actor: 'admin', reason });
    onKeysChanged?.();
    redirectDone(res, '/admin/keys', 'rotated');
  });
  return router;
}
