/**
 * Every `/admin` page, behind one admin session (see session.ts): sign-in and overview,
 * platforms, issuer profile, keys, chain, issuance queue and audit log. The trust-lists
 * page has its own router (it needs the chain's provider) and takes the same `context`.
 */
import { Router } from 'express';
import type { IssuerKeyProvider } from '../../issuance/issuer-keys.ts';
import type { Lti } from '../../lti/provider.ts';
import type { Database } from '../../storage/database.ts';
import type { PageRenderer } from '../views.ts';
import type { AdminPageContext } from './admin-page.ts';
import { adminAuditRouter } from './audit-log.ts';
import { adminChainRouter, type AdminChainDependencies } from './chain.ts';
import { adminHomeRouter } from './home.ts';
import { adminIssuerRouter } from './issuer-profile.ts';
import { adminQueueRouter } from './issuance-queue.ts';
import { adminKeysRouter } from './keys.ts';
import { adminPlatformPagesRouter } from './platforms-page.ts';
import { createAdminSession } from './session.ts';

export interface AdminPagesDependencies {
  db: Database;
  kek: Buffer;
  adminToken: string;
  publicUrl: string;
  pages: PageRenderer;
  lti: Pick<Lti, 'registry' | 'invites'> & Partial<Pick<Lti, 'registrationFailures'>>;
  keys: Pick<IssuerKeyProvider, 'list' | 'rotate' | 'ensureKey' | 'issuerDid'>;
  onKeysChanged?: () => void;
  chain: AdminChainDependencies['chain'];
  chainKind: AdminChainDependencies['kind'];
  /** Wakes the issuance worker after a retry. */
  poke?: () => void;
}

/** The admin pages' shared context, for routers mounted beside them (trust lists). */
export function createAdminPageContext({ adminToken, publicUrl, pages }: Pick<AdminPagesDependencies, 'adminToken' | 'publicUrl' | 'pages'>): AdminPageContext {
  return { pages, session: createAdminSession({ adminToken, publicUrl }) };
}

export function adminPagesRouter(deps: AdminPagesDependencies, context: AdminPageContext = createAdminPageContext(deps)): Router {
  const router = Router();
  router.use(adminHomeRouter(context));
  router.use(adminPlatformPagesRouter({ db: deps.db, kek: deps.kek, lti: deps.lti, publicUrl: deps.publicUrl, context }));
  router.use(adminIssuerRouter({ db: deps.db, publicUrl: deps.publicUrl, context }));
  router.use(adminKeysRouter({ db: deps.db, keys: deps.keys, onKeysChanged: deps.onKeysChanged, context }));
  router.use(adminChainRouter({ db: deps.db, chain: deps.chain, kind: deps.chainKind, context }));
  router.use(adminQueueRouter({ db: deps.db, poke: deps.poke, context }));
  router.use(adminAuditRouter({ db: deps.db, context }));
  return router;
}
