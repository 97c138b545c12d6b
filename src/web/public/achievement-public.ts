/**
 * The public page of an achievement: what every credential's `achievement.id`
 * (`PUBLIC_URL/achievements/<uuid>`) names, so the link in a credential leads somewhere.
 *
 * - `GET /achievements/:id` → HTML (name, image, description, criteria, issuer,
 *   alignments; English or Spanish), or the OB 3.0 Achievement as JSON with
 *   `Accept: application/json` / `application/ld+json`;
 * - `GET /achievements/:id.json` → the OB 3.0 Achievement (`application/ld+json`);
 * - `GET /achievements/:id/image.svg` → the generated badge when the achievement has no image.
 *
 * Drafts that Deep Linking has not seen saved by the LMS are not public (404).
 *
 * https://www.imsglobal.org/spec/ob/v3p0/#achievement
 */
import { Router, type Request } from 'express';
import type { Database } from '../../storage/database.ts';
import { createAchievementRepository, type Achievement } from '../../storage/achievement-repository.ts';
import { createIssuerRepository, type Issuer } from '../../storage/issuer-repository.ts';
import { generateBadgeSvg } from '../../credentials/badge-image.ts';
import { OB_V3_CONTEXT, VC_V2_CONTEXT } from '../../credentials/contexts.ts';
import { HttpError } from '../../errors.ts';
import type { IssuerKeyProvider } from '../../issuance/issuer-keys.ts';
import type { Locale } from '../i18n.ts';
import type { PageRenderer } from '../views.ts';
import { achievementTypeLabel } from './credential-view.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AchievementPublicRouterDependencies {
  db: Database;
  pages: PageRenderer;
  publicUrl: string;
  /** Gives the issuer's DID (the `creator` id, as credentials name it); its URL otherwise. */
  keys?: Pick<IssuerKeyProvider, 'issuerDid'>;
}

/** The narrative in `locale`, else in the achievement's language, else any. */
function narrativeIn(achievement: Achievement, locale: string): string | undefined {
  const narratives = achievement.criteriaNarrative ?? {};
  return narratives[locale] ?? narratives[achievement.inLanguage] ?? narratives.en ?? Object.values(narratives)[0];
}

/**
 * The OB 3.0 `Achievement` as a standalone JSON-LD document, with the same id, name,
 * criteria narrative and image a credential carries.
 */
export function achievementDocument({
  achievement,
  issuer,
  issuerId,
  publicUrl,
}: {
  achievement: Achievement;
  issuer: Issuer;
  issuerId: string;
  publicUrl: string;
}): Record<string, unknown> {
  const id = `${publicUrl}/achievements/${achievement.id}`;
  const narrative = narrativeIn(achievement, achievement.inLanguage) ?? achievement.description ?? achievement.name;
  return {
    '@context': [VC_V2_CONTEXT, OB_V3_CONTEXT],
    id,
    type: ['Achievement'],
    name: achievement.name,
    description: achievement.description || achievement.name,
    criteria: { id, narrative },
    image: { id: achievement.imageUrl ?? `${id}/image.svg`, type: 'Image' },
    achievementType: achievement.achievementType,
    creator: {
      id: issuerId,
      type: ['Profile'],
      name: issuer.name,
      url: issuer.url,
      ...(issuer.email ? { email: issuer.email } : {}),
    },
    ...(achievement.alignments.length > 0 ? { alignment: achievement.alignments.map((a) => ({ type: ['Alignment'], ...a })) } : {}),
    ...(achievement.tags.length > 0 ? { tag: achievement.tags } : {}),
    inLanguage: achievement.inLanguage,
  };
}

export function achievementPublicRouter({ db, pages, publicUrl, keys }: AchievementPublicRouterDependencies): Router {
  const router = Router();
  const achievements = createAchievementRepository(db);
  const issuers = createIssuerRepository(db);

  const load = async (ref: string) => {
    const achievement = UUID.test(ref) ? await achievements.findById(ref) : null;
    if (!achievement || !achievement.confirmedAt) throw new HttpError('not_found', `No achievement ${ref}`);
    const issuer = (await issuers.findById(achievement.issuerId))!;
    const issuerId = keys ? await keys.issuerDid(issuer).catch(() => issuer.url) : issuer.url;
    return { achievement, issuer, issuerId };
  };
  const wantsJson = (req: Request) => req.accepts(['html', 'application/ld+json', 'json']) !== 'html';

  router.get('/achievements/:ref/image.svg', async (req, res) => {
    const { achievement, issuer } = await load(String(req.params.ref));
    res.type('image/svg+xml').set('cache-control', 'public, max-age=3600').send(generateBadgeSvg({ achievementName: achievement.name, issuerName: issuer.name }));
  });

  router.get('/achievements/:ref', async (req, res) => {
    const ref = String(req.params.ref);
    const asFile = ref.endsWith('.json');
    const loaded = await load(asFile ? ref.slice(0, -'.json'.length) : ref);
    if (asFile || wantsJson(req)) {
      res.type('application/ld+json').set('vary', 'accept').send(JSON.stringify(achievementDocument({ ...loaded, publicUrl }), null, 2));
      return;
    }
    const { achievement, issuer } = loaded;
    const locale = res.locals.locale as Locale;
    const pageUrl = `${publicUrl}/achievements/${achievement.id}`;
    res
      .set('vary', 'accept')
      .type('html')
      .send(
        pages.render(
          'achievement',
          {
            title: achievement.name,
            name: achievement.name,
            description: achievement.description,
            image: achievement.imageUrl ?? `${pageUrl}/image.svg`,
            criteria: narrativeIn(achievement, locale) ?? '',
            issuerName: issuer.name,
            issuerUrl: issuer.url,
            alignments: achievement.alignments,
            tags: achievement.tags,
            kind: achievementTypeLabel(achievement.achievementType, locale),
            jsonUrl: `${pageUrl}.json`,
            pageUrl,
          },
          locale,
        ),
      );
  });
  return router;
}
