/**
 * The public credential page (`/credentials/:id`), its JSON (`.json`) and its baked
 * badges (`/badge.png`, `/badge.svg`). The page's verification report is cached until
 * something it depends on changes (see `credentials/verification-cache.ts`).
 */
import express, { type Request, type Router } from 'express';
import QRCode from 'qrcode';
import { createCredentialRepository, type StoredCredential } from '../../storage/credential-repository.ts';
import { createAchievementRepository } from '../../storage/achievement-repository.ts';
import { createUserRepository } from '../../storage/user-repository.ts';
import { createIssuerRepository } from '../../storage/issuer-repository.ts';
import { findCredentialAnchor, type CredentialAnchorRecord } from '../../storage/anchor-batch-repository.ts';
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
import { credentialContent, credentialState, explainChecks, formatDate, safeUrl } from './credential-view.ts';
import { credentialPageUrl, loadCredential, localVerifyOptions, type CredentialRoutesDependencies } from '../credential-routes.ts';
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

export function credentialPageRouter(deps: CredentialRoutesDependencies, context: AppContext): Router {
  const router = express.Router();
  const credentials = createCredentialRepository(deps.db);
  const load = (segment: string): Promise<StoredCredential> => loadCredential(deps.db, segment);

  // Page views reuse a report while nothing it depends on has changed (see
  // verification-cache.ts): the status bits, the anchoring batch, the issuer's DID
  // document (a revoked or rotated key) and the clock against validFrom/validUntil.
  const cache = deps.verificationCache ?? createVerificationCache<VerificationReport>({ now: deps.now });
  const now = () => deps.now?.() ?? new Date();
  const verifyStored = async (stored: StoredCredential, anchor: CredentialAnchorRecord | null): Promise<VerificationReport> => {
    const status = await credentials.findStatus(stored.id);
    const issuerDid = credentialContent(stored.document).issuerId;
    const didDocument = issuerDid.startsWith('did:') ? await deps.keys.resolveDid(issuerDid.split('#')[0]!).catch(() => null) : null;
    const fingerprint = JSON.stringify({
      status: status ? [status.revoked, status.suspended] : null,
      anchor: anchor ? [anchor.status, anchor.txHash, anchor.blockNumber] : null,
      did: didDocument,
    });
    const cached = cache.get(stored.id, fingerprint);
    if (cached) return cached;
    const report = await verifyCredential(stored.document, localVerifyOptions(deps));
    const instants = [stored.document.validFrom, stored.document.validUntil]
      .map((value) => (typeof value === 'string' ? new Date(value) : null))
      .filter((date): date is Date => date !== null && !Number.isNaN(date.getTime()) && date.getTime() > now().getTime());
    const until = instants.length > 0 ? new Date(Math.min(...instants.map((date) => date.getTime()))) : null;
    cache.set(stored.id, fingerprint, report, until);
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
    const stored = await load(ref);
    const locale = res.locals.locale as Locale;
    const anchor = await findCredentialAnchor(deps.db, stored.hash).catch(() => null);
    const report = await verifyStored(stored, anchor);
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
    // "Add to wallet" only for the recipient's own browser: an offer binds a new credential
    // of this award to whichever wallet redeems it, so a stranger must never get one.
    const visitor = shareable && stored.recipientUserId && deps.recipientOf ? await deps.recipientOf(req) : null;
    const wallet =
      visitor !== null && visitor === stored.recipientUserId
        ? await walletOfferView({ db: deps.db, publicUrl: deps.publicUrl, credentialId: stored.id, userId: visitor, locale, now: now() })
        : null;
    // The answer depends on the visitor's cookies (the recipient's session, the language
    // chosen) and Accept-Language. With the recipient's one-time codes in it, no cache may
    // keep it; without them, shared caches may keep it and revalidate (ETag) at each view,
    // so a revocation shows at once.
    res.vary('Cookie').vary('Accept-Language');
    res.set('cache-control', wallet ? 'private, no-store' : 'public, no-cache');
    const description = translate(locale, 'cred.og.description', { achievement: content.achievementName, issuer: institution.name });
    res.type('html').send(
      context.pages.render(
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
          qrSvg: shareable ? await QRCode.toString(pageUrl, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }) : null,
          wallet,
          // Whoever holds this badge but came without their session learns where the offer is.
          recipientWalletHint: shareable && !wallet && stored.recipientUserId !== null,
        },
        locale,
      ),
    );
  });
  return router;
}
