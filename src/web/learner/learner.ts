/**
 * The learner's home inside the LMS (`/app/learner`): their credentials, the wallet
 * they link for soulbound tokens, and a slot for the issuance capability's progress
 * partial (`views/partials/learner-progress.hbs`, rendered when it exists).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Response } from 'express';
import QRCode from 'qrcode';
import type { Database } from '../../storage/database.ts';
import { createContextRepository } from '../../storage/context-repository.ts';
import { createLtiViewRepository } from '../../storage/lti-view-repository.ts';
import { createUserRepository } from '../../storage/user-repository.ts';
import { createCredentialRepository } from '../../storage/credential-repository.ts';
import { createIssuerRepository } from '../../storage/issuer-repository.ts';
import { CredentialError } from '../../credentials/errors.ts';
import { credentialIdFromPath, credentialPageUrl } from '../credential-routes.ts';
import type { Lti } from '../../lti/provider.ts';
import type { Launch } from '../../lti/require-launch.ts';
import { ltiErrorHandler } from '../../lti/errors.ts';
import { linkWallet } from '../../chain/link-wallet.ts';
import { hasCode } from '../../errors.ts';
import { translate } from '../i18n.ts';
import type { Locale } from '../i18n.ts';
import type { PageRenderer } from '../views.ts';
import { formatDate } from '../public/credential-view.ts';
import type { CredentialSummary } from '../../storage/lti-view-repository.ts';
import { walletOfferView } from '../wallet/wallet-offer-view.ts';
import { rememberRecipient } from './recipient-session.ts';

const progressPartial = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'views', 'partials', 'learner-progress.hbs');

export interface LearnerRouterDependencies {
  db: Database;
  lti: Pick<Lti, 'requireLaunch'>;
  pages: PageRenderer;
  /** Data for the progress partial (issuance capability); absent = no progress section. */
  learnerProgress?: (launch: Launch) => Promise<Record<string, unknown>>;
  /** Sello's public base URL: the shared links and QR codes point at its credential pages. */
  publicUrl: string;
  now?: () => Date;
}

/**
 * LinkedIn's "Add to profile" link for a certification
 * (https://addtoprofile.linkedin.com/): the institution is the organization, so a learner's
 * profile names who vouches for the badge, not the software that signed it.
 */
export function linkedInAddUrl(p: { name: string; organizationName: string; issued: Date; certUrl: string; certId: string }): string {
  const url = new URL('https://www.linkedin.com/profile/add');
  url.search = new URLSearchParams({
    startTask: 'CERTIFICATION_NAME',
    name: p.name,
    organizationName: p.organizationName,
    issueYear: String(p.issued.getUTCFullYear()),
    issueMonth: String(p.issued.getUTCMonth() + 1),
    certUrl: p.certUrl,
    certId: p.certId,
  }).toString();
  return url.toString();
}

/** A credential as the learner pages show it: a state, and the localized why and when. */
export interface LearnerCredentialView {
  urlId: string;
  name: string;
  issuedOn: string;
  state: 'valid' | 'revoked' | 'suspended' | 'expired';
  stateLabel: string;
  /** "Revoked on 3 May 2026. Reason: …", null when valid. */
  stateDetail: string | null;
  /** The same after the state word in a list ("on 3 May 2026. Reason: …"), so the word is not said twice. */
  listDetail: string | null;
  courseTitle: string | null;
}

/**
 * Sorts the learner's credentials into the ones they hold and the ones that were withdrawn
 * or ran out: a revoked or suspended badge listed under "earned" tells the learner (and
 * whoever they show the page to) something the issuer has taken back.
 */
export function splitCredentials(credentials: CredentialSummary[], locale: Locale, now: Date): { credentials: LearnerCredentialView[]; withdrawn: LearnerCredentialView[] } {
  const all = credentials.map((c): LearnerCredentialView => {
    const state = c.revoked ? 'revoked' : c.suspended ? 'suspended' : c.validUntil && new Date(c.validUntil) <= now ? 'expired' : 'valid';
    const stateDetail =
      state === 'revoked' || state === 'suspended'
        ? translate(locale, `cred.banner.${state}_detail`, { date: formatDate(c.statusAt, locale) ?? '—', reason: c.statusReason ?? '—' })
        : state === 'expired'
          ? translate(locale, 'cred.banner.expired_detail', { date: formatDate(c.validUntil, locale) ?? '' })
          : null;
    const when = formatDate(state === 'expired' ? c.validUntil : c.statusAt, locale) ?? '—';
    const listDetail = state === 'valid' ? null : translate(locale, `lti.learner.listDetail.${state}`, { date: when, reason: c.statusReason ?? '—' });
    return { urlId: encodeURIComponent(c.id), name: c.name, issuedOn: formatDate(c.validFrom, locale) ?? '', state, stateLabel: translate(locale, `lti.learner.state.${state}`), stateDetail, listDetail, courseTitle: c.courseTitle };
  });
  return { credentials: all.filter((c) => c.state === 'valid'), withdrawn: all.filter((c) => c.state !== 'valid') };
}

export function learnerRouter({ db, lti, pages, learnerProgress, publicUrl, now = () => new Date() }: LearnerRouterDependencies): Router {
  const router = Router();
  const users = createUserRepository(db);
  const contexts = createContextRepository(db);
  const views = createLtiViewRepository(db);
  const learnerOnly = lti.requireLaunch({ roles: 'learner' });

  const render = async (res: Response, status: number, extra: Record<string, unknown> = {}) => {
    const launch = res.locals.launch as Launch;
    const [user, course, credentials] = await Promise.all([
      users.findById(launch.userId),
      contexts.findById(launch.contextId),
      views.listCredentialsOf(launch.userId),
    ]);
    const hasProgress = Boolean(learnerProgress) && fs.existsSync(progressPartial);
    res
      .status(status)
      .type('html')
      .send(
        pages.render(
          'learner-home',
          {
            title: translate(res.locals.locale, 'lti.learner.title'),
            // The language link must lead to a page, also from the wallet form's answer.
            langPath: '/app/learner',
            course,
            ltik: launch.ltik,
            wallet: user?.walletAddress ?? '',
            showName: user?.showNamePublicly ?? true,
            ...splitCredentials(credentials, res.locals.locale as Locale, now()),
            hasProgress,
            progress: hasProgress ? await learnerProgress!(launch) : null,
            ...extra,
          },
          res.locals.locale,
        ),
      );
  };

  router.get('/app/learner', learnerOnly, async (_req, res) => {
    await render(res, 200);
  });

  // One of the learner's own badges: its state, and the ways to share it while it is valid.
  router.get('/app/learner/credentials/:ref', learnerOnly, async (req, res) => {
    const launch = res.locals.launch as Launch;
    const locale = res.locals.locale as Locale;
    const ref = String(req.params.ref);
    const id = ref.startsWith('urn:') ? ref : `urn:uuid:${ref}`;
    const summary = (await views.listCredentialsOf(launch.userId)).find((c) => c.id === id);
    // Someone else's credential answers as an unknown one: the id says nothing about who holds it.
    const stored = summary ? await createCredentialRepository(db).findById(id) : null;
    if (!summary || !stored) throw new CredentialError('credential_not_found', translate(locale, 'lti.learner.notFound'), { credentialId: id });
    const split = splitCredentials([summary], locale, now());
    const view = split.credentials[0] ?? split.withdrawn[0]!;
    const issuer = await createIssuerRepository(db).findById(stored.issuerId);
    const pageUrl = credentialPageUrl(publicUrl, stored.id);
    const shareable = view.state === 'valid';
    res.type('html').send(
      pages.render(
        'learner-credential',
        {
          title: translate(locale, 'lti.learner.credentialTitle', { name: summary.name }),
          langPath: `/app/learner/credentials/${encodeURIComponent(ref)}`,
          ltik: launch.ltik,
          ...view,
          institution: issuer?.name ?? '',
          shareable,
          pageUrl,
          pngUrl: `${pageUrl}/badge.png`,
          svgUrl: `${pageUrl}/badge.svg`,
          jsonUrl: `${pageUrl}.json`,
          linkedInUrl: shareable
            ? linkedInAddUrl({ name: summary.name, organizationName: issuer?.name ?? '', issued: new Date(summary.validFrom), certUrl: pageUrl, certId: stored.id })
            : null,
          qrSvg: shareable ? await QRCode.toString(pageUrl, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }) : null,
          wallet: shareable ? await walletOfferView({ db, publicUrl, credentialId: stored.id, userId: launch.userId, locale, now: now() }) : null,
        },
        locale,
      ),
    );
  });

  // The learner's way to their badge's public page: the page then knows them as its
  // recipient and offers "Add to wallet" there too (see recipient-session.ts). Any role,
  // as /me: instructors earn badges in other courses too.
  router.get('/app/learner/credentials/:ref/public', lti.requireLaunch({ roles: 'any' }), async (req, res) => {
    const launch = res.locals.launch as Launch;
    const id = credentialIdFromPath(String(req.params.ref));
    const stored = id ? await createCredentialRepository(db).findById(id) : null;
    if (!stored || stored.recipientUserId !== launch.userId) {
      throw new CredentialError('credential_not_found', translate(res.locals.locale as Locale, 'lti.learner.notFound'), { credentialId: String(req.params.ref) });
    }
    rememberRecipient(res, { ltik: launch.ltik, publicUrl });
    // The redirect leaves no ltik in the address bar, where the learner copies links from.
    res.redirect(303, new URL(credentialPageUrl(publicUrl, stored.id)).pathname);
  });

  // Every badge of the person behind this launch, across all the courses of this Sello
  // (same LTI session: the ltik). Any role: instructors earn badges in other courses too.
  router.get('/me', lti.requireLaunch({ roles: 'any' }), async (_req, res) => {
    const launch = res.locals.launch as Launch;
    const locale = res.locals.locale as Locale;
    const credentials = await views.listCredentialsOf(launch.userId);
    res.type('html').send(
      pages.render(
        'learner-me',
        { title: translate(locale, 'lti.me.title'), langPath: '/me', ltik: launch.ltik, ...splitCredentials(credentials, locale, now()) },
        locale,
      ),
    );
  });

  router.post('/app/learner/privacy', learnerOnly, async (req, res) => {
    const launch = res.locals.launch as Launch;
    // A checkbox sends its value only when ticked; JSON callers send a boolean.
    const raw = req.body?.showName;
    const show = raw === true || raw === 'on' || raw === 'true' || raw === '1';
    if (raw !== undefined && typeof raw !== 'boolean' && !['on', 'true', '1', 'false', '0', ''].includes(String(raw))) {
      const message = translate(res.locals.locale, 'lti.learner.privacyInvalid');
      if (req.accepts(['html', 'json']) === 'json') {
        res.status(400).json({ code: 'invalid_request', message, details: { showName: raw } });
        return;
      }
      await render(res, 400, { privacyMessage: message, privacyClass: 'bad' });
      return;
    }
    await users.setShowNamePublicly(launch.userId, show);
    if (req.accepts(['html', 'json']) === 'json') {
      res.json({ showName: show });
      return;
    }
    await render(res, 200, {
      showName: show,
      privacyMessage: translate(res.locals.locale, show ? 'lti.learner.privacyShown' : 'lti.learner.privacyHidden'),
      privacyClass: 'ok',
    });
  });

  router.post('/app/learner/wallet', learnerOnly, async (req, res) => {
    const launch = res.locals.launch as Launch;
    const given = typeof req.body?.walletAddress === 'string' ? req.body.walletAddress.trim() : '';
    let address: string | null = null;
    try {
      // Linking goes through the chain capability so tokens for the learner's existing
      // credentials are queued at once. Only EIP-55 checksummed addresses are taken: a
      // lowercase one carries no typo protection, and a token minted to a mistyped
      // soulbound address can never be moved.
      if (given === '') await users.setWallet(launch.userId, null);
      else address = (await linkWallet({ db, userId: launch.userId, walletAddress: given })).walletAddress;
    } catch (error) {
      if (!hasCode(error, 'invalid_wallet_address')) throw error;
      const message = translate(res.locals.locale, 'lti.learner.walletInvalid');
      if (req.accepts(['html', 'json']) === 'json') {
        res.status(400).json({ code: 'invalid_wallet_address', message, details: { walletAddress: given } });
        return;
      }
      await render(res, 400, { wallet: given, walletMessage: message, walletClass: 'bad' });
      return;
    }
    if (req.accepts(['html', 'json']) === 'json') {
      res.json({ walletAddress: address });
      return;
    }
    await render(res, 200, {
      walletMessage: translate(res.locals.locale, address ? 'lti.learner.walletSaved' : 'lti.learner.walletRemoved'),
      walletClass: 'ok',
    });
  });

  router.use(ltiErrorHandler());
  return router;
}
