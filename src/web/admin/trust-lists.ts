/**
 * The consortium trust lists this deployment's issuers are on (issue 11, "Trust lists"):
 * `GET /admin/api/trust-lists` (bearer ADMIN_TOKEN) answers, for each list in
 * `TRUST_LISTS`, its CAIP-10, name and each issuer DID's membership (with since-when), or
 * an error entry with a code; `/admin/trust-lists` is a page driving that API.
 */
import { Router } from 'express';
import type { Provider } from 'ethers';
import { requireAdminToken } from './auth.ts';
import { readTrustListMemberships } from '../../chain/trust-list-memberships.ts';
import type { IssuerKeyProvider } from '../../issuance/issuer-keys.ts';
import type { Queryable } from '../../storage/database.ts';
import { createIssuerRepository } from '../../storage/issuer-repository.ts';
import { translate } from '../i18n.ts';
import type { PageRenderer } from '../views.ts';

export interface AdminTrustListsDependencies {
  db: Queryable;
  keys: Pick<IssuerKeyProvider, 'issuerDid'>;
  adminToken: string;
  /** `config.chain.trustLists`. */
  trustLists: readonly string[];
  /** The chain's provider now; null while the chain has not answered since start. */
  provider: () => Provider | null;
  pages: PageRenderer;
}

export function adminTrustListsRouter(deps: AdminTrustListsDependencies): Router {
  const router = Router();
  const admin = requireAdminToken(deps.adminToken);

  router.get('/admin/trust-lists', (_req, res) => {
    res.type('html').send(deps.pages.render('admin-trust-lists', { title: translate(res.locals.locale, 'trustLists.title') }, res.locals.locale));
  });

  /**
   * `{issuers: [{slug, did}], lists: [{list, ok: true, name, memberships: [{did, member,
   * since}]} | {list, ok: false, code, message}]}`. A list that cannot be read is an entry
   * with a code (`chain_unreachable`, `wrong_chain`, `not_a_trust_list`), never a 5xx.
   */
  router.get('/admin/api/trust-lists', admin, async (_req, res) => {
    const issuers = await createIssuerRepository(deps.db).list();
    const withDids = await Promise.all(issuers.map(async (issuer) => ({ slug: issuer.slug, did: await deps.keys.issuerDid(issuer) })));
    const lists = await readTrustListMemberships({ provider: deps.provider(), lists: deps.trustLists, dids: withDids.map((issuer) => issuer.did) });
    res.json({ issuers: withDids, lists });
  });

  return router;
}
