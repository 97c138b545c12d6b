/**
 * The public credential page (`/credentials/:id`), its JSON (`.json`) and its baked
 * badges (`/badge.png`, `/badge.svg`).
 *
 * A view of the page costs one query while nothing it shows has changed (issue 15: a
 * cohort opening its badges at once): the query reads a fingerprint of every stored fact
 * behind the page (status, anchoring, the issuer's keys and profile; by whichever Sello
 * process changed them), and the page rendered for that fingerprint and locale is reused,
 * with its verification report, until the fingerprint changes or the clock reaches the
 * credential's validFrom or validUntil. Browsers revalidate every view (`no-cache`) and get
 * a 304 while the page is the same: its ETag is a digest of the HTML itself, so it also
 * changes with what the fingerprint cannot see (an answer from the chain, a new release's
 * templates). The recipient's own browser is the exception: its page offers "Add to wallet"
 * with one-time codes, so it is rendered for that view alone and no cache keeps it.
 */
import crypto from 'node:crypto';
import express, { type Request, type Router } from 'express';
import QRCode from 'qrcode';
import type { StoredCredential } from '../../storage/credential-repository.ts';
import type { CredentialPageFingerprint } from '../../storage/credential-page-fingerprint.ts';
import { createPageFingerprintReader } from './page-fingerprints.ts';
import { createCredentialPageCache, nextClockChange } from './credential-page-cache.ts';
import { createAchievementRepository } from '../../storage/achievement-repository.ts';
import { createUserRepository } from '../../storage/user-repository.ts';
import { createIssuerRepository } from '../../storage/issuer-repository.ts';
import { findCredentialAnchor } from '../../storage/anchor-batch-repository.ts';
import { createContextRepository } from '../../storage/context-repository.ts';
import { createStatusListRepository } from '../../storage/status-list-repository.ts';
import { createVerificationCache } from '../../credentials/verification-cache.ts';
import { verifyCredential, type VerificationReport } from '../../credentials/verify.ts';
import { bakePng, bakeSvg } from '../../credentials/bake.ts';
import { generateBadgeSvg, renderBadgePng } from '../../credentials/badge-image.ts';
import { readChainReference } from '../../credentials/chain-reference.ts';
import { translate, type Locale } from '../i18n.ts';
import { CredentialError } from '../../credentials/errors.ts';
import type { AppContext } from '../app.ts';
import { achievementTypeLabel, credentialContent, credentialState, explainChecks, formatDate, safeUrl } from './credential-view.ts';
import {
  credentialIdFromPath,
  credentialPageUrl,
  loadCredential,
  localVerifyOptions,
  type CredentialRoutesDependencies,
  type RenderedCredentialPage,
} from '../credential-routes.ts';
import { walletOfferView } from '../wallet/wallet-offer-view.ts';

/**
 * True when the only thing missing is the anchor of a credential that Sello has queued
 * (no batch yet, or its batch not yet anchored): the first minutes after issuance.
 */
function isAnchoringPending(report: VerificationReport, anchor: { status: string } | null, hasChainReference: boolean): boolean {
  if (!hasChainReference || anchor?.status === 'anchored') return false;
  const anchorCheck = report.checks.find((check) => check.id === 'anchored_on_chain');
  const othersPass = report.checks.every((check) => check.id === 'anchored_on_chain' || check.valid || check.skipped);
  return Boolean(anchorCheck && !anchorCheck.valid && anchorCheck.error === 'not_anchored' && othersPass);
}

/** The bytes and type of a `data:image/png|svg+xml;base64,` image; null for anything else. */
function inlineImageOf(image: string | null): { type: string; bytes: Buffer } | null {
  const match = image ? /^data:(image\/(?:png|svg\+xml));base64,([A-Za-z0-9+/=]+)$/.exec(image) : null;
  return match ? { type: match[1]!, bytes: Buffer.from(match[2]!, 'base64') } : null;
}

function badgeImageOf(document: Record<string, unknown>): string | null {
  const achievement = (document.credentialSubject as { achievement?: { image?: { id?: string } } } | undefined)?.achievement;
  return achievement?.image?.id ?? null;
}

function namesOf(document: Record<string, unknown>) {
  const subject = (document.credentialSubject ?? {}) as Record<string, unknown>;
  const achievement = (subject.achievement ?? {}) as Record<string, unknown>;
  const issuer = (typeof document.issuer === 'object' && document.issuer ? document.issuer : {}) as Record<string, unknown>;
  return {
    achievementName: String(achievement.name ?? document.name ?? 'Badge'),
    achievementDescription: String(achievement.description ?? ''),
    criteria: String(((achievement.criteria ?? {}) as Record<string, unknown>).narrative ?? ''),
    recipientName: typeof subject.name === 'string' ? subject.name : null,
    issuerName: String(issuer.name ?? ''),
    issuerUrl: typeof issuer.url === 'string' ? issuer.url : null,
    issuerId: String(issuer.id ?? document.issuer ?? ''),
  };
}

/** How long a page no one views stays in memory (how long a verification is trusted: credential-page-cache.ts). */
const PAGE_KEPT_MS = 10 * 60_000;

export function credentialPageRouter(deps: CredentialRoutesDependencies, context: AppContext): Router {
  const router = express.Router();
  const load = (segment: string): Promise<StoredCredential> => loadCredential(deps.db, segment);

  // A page view reads one fingerprint of everything the page depends on (one query, see
  // storage/credential-page-fingerprint.ts) and reuses the page rendered for it in this
  // locale, and the verification report behind it (credential-page-cache.ts).
  const reports = deps.verificationCache ?? createVerificationCache<VerificationReport>({ now: deps.now });
  const readFingerprint = createPageFingerprintReader({ db: deps.db });
  const now = () => deps.now?.() ?? new Date();
  const cache = createCredentialPageCache({
    pages: deps.pageCache ?? createVerificationCache<RenderedCredentialPage>({ now: deps.now, maxEntries: 2000, ttlMs: PAGE_KEPT_MS }),
    render: (current, locale, again) => renderPage(current, locale, { again, visitor: null }),
    now,
    log: context.log,
  });

  const verifiedAt = new WeakMap<VerificationReport, Date>();
  const verifyStored = async (stored: StoredCredential, current: CredentialPageFingerprint, again: boolean): Promise<VerificationReport> => {
    const cached = again ? undefined : reports.get(stored.id, current.fingerprint);
    if (cached) return cached;
    const started = now();
    const report = await verifyCredential(stored.document, localVerifyOptions(deps));
    verifiedAt.set(report, started);
    // The report is the clock's as the verification started: a validUntil passed since ends it at once.
    reports.set(stored.id, current.fingerprint, report, nextClockChange(current, started));
    return report;
  };

  router.get('/credentials/:ref/badge.svg', async (req, res) => {
    const stored = await load(String(req.params.ref));
    const image = badgeImageOf(stored.document);
    const names = namesOf(stored.document);
    const inline = inlineImageOf(image);
    const svg =
      inline?.type === 'image/svg+xml'
        ? inline.bytes.toString('utf8')
        : inline?.type === 'image/png'
          ? // An uploaded PNG, framed in an SVG so the baked SVG shows the badge's own picture.
            `<svg xmlns="http://www.w3.org/2000/svg" width="600" height="600" viewBox="0 0 600 600"><image width="600" height="600" href="data:image/png;base64,${inline.bytes.toString('base64')}"/></svg>`
          : generateBadgeSvg({ achievementName: names.achievementName, issuerName: names.issuerName });
    res.type('image/svg+xml').set('content-disposition', `inline; filename="badge.svg"`).send(bakeSvg({ svg, credential: stored.document }));
  });

  // The badge image a credential carries inline (a data: URI, as uploaded or designed
  // images are), as a file of its own: the page links to it instead of inlining up to
  // 256 KB of base64, and browsers cache it (the signed credential cannot change).
  router.get('/credentials/:ref/image', async (req, res) => {
    const stored = await load(String(req.params.ref));
    const inline = inlineImageOf(badgeImageOf(stored.document));
    if (!inline) throw new CredentialError('credential_not_found', 'This credential carries no inline image', { id: String(req.params.ref) });
    res.type(inline.type).set('cache-control', 'public, max-age=86400, immutable').send(inline.bytes);
  });

  router.get('/credentials/:ref/badge.png', async (req, res) => {
    const stored = await load(String(req.params.ref));
    const names = namesOf(stored.document);
    const png = renderBadgePng({ achievementName: names.achievementName, issuerName: names.issuerName, image: badgeImageOf(stored.document) });
    res.type('image/png').set('content-disposition', `inline; filename="badge.png"`).send(bakePng({ png, credential: stored.document }));
  });

  router.get('/credentials/:ref', async (req: Request, res) => {
    const ref = String(req.params.ref);
    if (ref.endsWith('.json')) {
      const stored = await load(ref.slice(0, -'.json'.length));
      res.type('application/ld+json').set('content-disposition', 'inline; filename="credential.json"').send(JSON.stringify(stored.document, null, 2));
      return;
    }
    const id = credentialIdFromPath(ref);
    const current = id ? await readFingerprint(id) : null;
    if (!current) throw new CredentialError('credential_not_found', 'No credential with this id', { id: ref });
    const locale = res.locals.locale as Locale;
    // The answer depends on the visitor's cookies (the recipient's session, the language
    // chosen) and Accept-Language.
    res.vary('Cookie').vary('Accept-Language');
    // "Add to wallet" only for the recipient's own browser: an offer binds a new credential
    // of this award to whichever wallet redeems it, so a stranger must never get one, and
    // no cache may keep a page with the recipient's one-time codes in it.
    const visitor = current.recipientUserId && deps.recipientOf ? await deps.recipientOf(req) : null;
    const own = visitor !== null && visitor === current.recipientUserId ? await renderPage(current, locale, { again: false, visitor }) : null;
    if (own?.offersWallet) {
      res.set('cache-control', 'private, no-store').type('html').send(own.html);
      return;
    }
    const page = own ?? (await cache.pageFor(current, locale));
    // Everyone else's page: shared caches may keep it, but every view asks again (no-cache),
    // so a revocation shows at once; a browser that has this very page gets a 304 without a
    // body (and without a CSP: security-headers.ts).
    res.set('cache-control', 'public, no-cache').set('etag', page.etag);
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.type('html').send(page.html);
  });

  /**
   * The page as the credential's recipient sees it when `visitor` is them (with "Add to
   * wallet"), else as everyone does. `again` verifies anew instead of reusing the cached report.
   */
  async function renderPage(
    current: CredentialPageFingerprint,
    locale: Locale,
    { again, visitor }: { again: boolean; visitor: string | null },
  ): Promise<RenderedCredentialPage & { offersWallet: boolean }> {
    const stored = await load(current.credentialId);
    const anchor = await findCredentialAnchor(deps.db, stored.hash).catch(() => null);
    const report = await verifyStored(stored, current, again);
    const content = credentialContent(stored.document);
    const pageUrl = credentialPageUrl(deps.publicUrl, stored.id);
    const reference = readChainReference(stored.document);
    const anchoringPending = isAnchoringPending(report, anchor, reference !== null);
    const state = credentialState(report, anchoringPending);
    const shareable = state === 'valid' || state === 'pending';
    const issuer = await createIssuerRepository(deps.db).findById(stored.issuerId);
    const achievement = stored.achievementId ? await createAchievementRepository(deps.db).findById(stored.achievementId) : null;
    // The learner decides whether this public page names them (their setting, /app/learner).
    const recipient = stored.recipientUserId ? await createUserRepository(deps.db).findById(stored.recipientUserId) : null;
    const showRecipientName = recipient?.showNamePublicly ?? true;
    const course = achievement?.contextId ? await createContextRepository(deps.db).findById(achievement.contextId) : null;
    const institution = {
      name: issuer?.name || content.issuerName,
      url: safeUrl(issuer?.url) ?? content.issuerUrl,
      image: issuer?.imageUrl ?? content.issuerImage,
    };
    // The reason and date of the status change the banner names.
    const events = state === 'revoked' || state === 'suspended' ? await createStatusListRepository(deps.db).listEvents(stored.id) : [];
    const purpose = state === 'revoked' ? 'revocation' : 'suspension';
    const event = [...events].reverse().find((e) => e.purpose === purpose && e.value) ?? null;
    const linkedIn = new URL('https://www.linkedin.com/profile/add');
    // A VC 2.0 credential may have no validFrom; Sello's record has its issuance time then.
    const validFrom = stored.document.validFrom === undefined ? stored.validFrom : new Date(String(stored.document.validFrom));
    linkedIn.search = new URLSearchParams({
      startTask: 'CERTIFICATION_NAME',
      name: content.achievementName,
      organizationName: institution.name,
      issueYear: String(validFrom.getUTCFullYear()),
      issueMonth: String(validFrom.getUTCMonth() + 1),
      certUrl: pageUrl,
      certId: stored.id,
    }).toString();
    const explorer = context.config.chain.explorerUrl;
    const txHash = anchor?.txHash ?? null;
    const pngUrl = `${pageUrl}/badge.png`;
    const wallet =
      shareable && visitor !== null && visitor === stored.recipientUserId
        ? await walletOfferView({ db: deps.db, publicUrl: deps.publicUrl, credentialId: stored.id, userId: visitor, locale, now: now() })
        : null;
    const description = translate(locale, 'cred.og.description', { achievement: content.achievementName, issuer: institution.name });
    const qrSvg = shareable ? await QRCode.toString(pageUrl, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }) : null;
    const html = context.pages.render(
      'credential',
      {
        title: content.achievementName,
        meta: [
          { property: 'og:type', content: 'website' },
          { property: 'og:title', content: content.achievementName },
          { property: 'og:description', content: description },
          { property: 'og:image', content: pngUrl },
          { property: 'og:image:alt', content: content.achievementName },
          { property: 'og:url', content: pageUrl },
          { property: 'og:site_name', content: institution.name },
          { name: 'twitter:card', content: 'summary_large_image' },
          { name: 'twitter:title', content: content.achievementName },
          { name: 'twitter:description', content: description },
          { name: 'twitter:image', content: pngUrl },
          { name: 'description', content: description },
        ],
        ...content,
        achievementType: achievementTypeLabel(content.achievementType, locale),
        // An inline image is linked, not inlined: the page stays small whatever was uploaded.
        image: inlineImageOf(content.image) ? `${pageUrl}/image` : content.image,
        recipientName: showRecipientName ? content.recipientName : null,
        institution,
        course: course?.title ?? null,
        state,
        stateBanner: translate(locale, `cred.banner.${state}`),
        stateDetail: event
          ? translate(locale, `cred.banner.${state}_detail`, { date: formatDate(event.at, locale) ?? '', reason: event.reason ?? '' })
          : state === 'expired'
            ? translate(locale, 'cred.banner.expired_detail', { date: formatDate(stored.document.validUntil, locale) ?? '' })
            : null,
        verified: state === 'valid' || state === 'pending',
        shareable,
        checks: explainChecks(report, locale, anchoringPending),
        credentialId: stored.id,
        hash: stored.hash,
        validFrom: validFrom.toISOString(),
        validFromText: formatDate(validFrom, locale),
        validUntil: stored.document.validUntil ?? null,
        validUntilText: formatDate(stored.document.validUntil, locale),
        anchor: anchor ?? null,
        anchorStatusText: anchor ? translate(locale, `cred.anchor.state.${anchor.status}`) : null,
        txUrl: explorer && txHash ? `${explorer}/tx/${txHash}` : null,
        contractUrl: explorer && anchor ? `${explorer}/address/${anchor.contractAddress}` : null,
        chainReference: reference ? `eip155:${reference.chainId}:${reference.contract}` : null,
        pageUrl,
        jsonUrl: `${pageUrl}.json`,
        pngUrl,
        svgUrl: `${pageUrl}/badge.svg`,
        linkedInUrl: linkedIn.toString(),
        qrSvg,
        wallet,
        // Whoever holds this badge but came without their session learns where the offer is.
        recipientWalletHint: shareable && !wallet && stored.recipientUserId !== null,
      },
      locale,
    );
    return { html, offersWallet: wallet !== null, verifiedAt: verifiedAt.get(report) ?? now(), etag: `"${crypto.createHash('sha256').update(html).digest('base64url').slice(0, 27)}"` };
  }
  return router;
}
