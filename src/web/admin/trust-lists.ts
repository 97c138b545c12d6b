/**
 * The consortium trust lists this deployment's issuers are on (issue 11, "Trust lists"):
 * `GET /admin/api/trust-lists` (bearer ADMIN_TOKEN) answers, for each list in
 * `TRUST_LISTS`, its CAIP-10, name and each issuer DID's membership (with since-when), or
 * an error entry with a code; `/admin/trust-lists` is the same answer as a page (admin
 * session), rendered on the server.
 */
import { Router } from 'express';
import type { Provider } from 'ethers';
import { requireAdminToken } from './auth.ts';
import { readTrustListMemberships } from '../../chain/trust-list-memberships.ts';
import type { IssuerKeyProvider } from '../../issuance/issuer-keys.ts';
import type { Queryable } from '../../storage/database.ts';
import { createIssuerRepository } from '../../storage/issuer-repository.ts';
import { formatDateTime, translate, type Locale } from '../i18n.ts';
import { renderAdminPage, type AdminPageContext } from './admin-page.ts';

export interface AdminTrustListsDependencies {
  db: Queryable;
  keys: Pick<IssuerKeyProvider, 'issuerDid'>;
  adminToken: string;
  /** `config.chain.trustLists`. */
  trustLists: readonly string[];
  /** The chain's provider now; null while the chain has not answered since start. */
  provider: () => Provider | null;
  context: AdminPageContext;
}

export function adminTrustListsRouter(deps: AdminTrustListsDependencies): Router {
  const router = Router();
  const admin = requireAdminToken(deps.adminToken);

  const read = async () => {
    const issuers = await createIssuerRepository(deps.db).list();
    const withDids = await Promise.all(issuers.map(async (issuer) => ({ slug: issuer.slug, did: await deps.keys.issuerDid(issuer) })));
    const lists = await readTrustListMemberships({ provider: deps.provider(), lists: deps.trustLists, dids: withDids.map((issuer) => issuer.did) });
    return { issuers: withDids, lists };
  };

  router.get('/admin/trust-lists', deps.context.session.require(), async (req, res) => {
    const locale = res.locals.locale as Locale;
    const { lists } = await read();
    const rows = lists.flatMap((entry) =>
      entry.ok
        ? entry.memberships.map((membership) => ({
            list: entry.list,
            name: entry.name,
            did: membership.did,
            state: membership.member
              ? translate(locale, 'trustLists.member', { since: formatDateTime(membership.since, locale) })
              : translate(locale, 'trustLists.notMember'),
          }))
        : [{ list: entry.list, name: translate(locale, 'trustLists.error'), did: '', state: translate(locale, `trustLists.code.${entry.code}`) }],
    );
    renderAdminPage(deps.context, req, res, { page: 'admin-trust-lists', section: 'trustLists', titleKey: 'trustLists.title', data: { rows } });
  });

  /**
   * `{issuers: [{slug, did}], lists: [{list, ok: true, name, memberships: [{did, member,
   * since}]} | {list, ok: false, code, message}]}`. A list that cannot be read is an entry
   * with a code (`chain_unreachable`, `wrong_chain`, `not_a_trust_list`), never a 5xx.
   */
  router.get('/admin/api/trust-lists', admin, async (_req, res) => {
    res.json(await read());
  });

  return router;
}
