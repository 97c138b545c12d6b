/**
 * The badge image of an achievement, for the course's instructors (from an LTI launch):
 * upload a PNG or SVG, or design one in the page (shape, colours, icon, text). The form is
 * `views/partials/achievement-image.hbs`, shown in the achievement editor and on its own
 * page; everything works without JavaScript (the designer's "Preview" button), and
 * `/static/js/badge-designer.js` adds a live preview.
 *
 * - `GET  /app/achievements/:id/image` → the image page
 * - `GET  /app/achievements/:id/image/current` → the achievement's image as it stands (or Sello's medal)
 * - `GET  /app/achievements/:id/image/preview.svg?shape=&icon=&background=&accent=&foreground=&text=` → a design, unsaved
 * - `POST /app/achievements/:id/image/upload?ltik=` (multipart, field `file`) → 303, or 400 with the problem by the field
 * - `POST /app/achievements/:id/image/design` (`action=preview|save`) → 200 preview, 303 saved, or 400 by the fields
 * - `POST /app/achievements/:id/image/remove` → 303, back to Sello's generated medal
 *
 * The image is stored as a data: URI in the achievement's `image`: OB 3.0 allows "the URI
 * or Data URI of the image", the baked PNG renderer reads only inline images, and it
 * survives Sello as the credential does.
 */
import { courseAchievementFinder } from './course-achievement.ts';
import express, { Router, type Request, type Response } from 'express';
import type { Database } from '../../storage/database.ts';
import { createAchievementRepository, type Achievement } from '../../storage/achievement-repository.ts';
import { createAchievementImageRepository, type AchievementImage } from '../../storage/achievement-image-repository.ts';
import { createIssuerRepository } from '../../storage/issuer-repository.ts';
import { generateBadgeSvg } from '../../credentials/badge-image.ts';
import { BADGE_UPLOAD_MAX_BYTES, readBadgeUpload } from '../../credentials/badge-upload.ts';
import { DEFAULT_BADGE_DESIGN, designBadgeDataUri, designBadgeSvg, parseBadgeDesign, type BadgeDesign, type BadgeDesignField } from '../../credentials/badge-design.ts';
import type { Launch, RequireLaunch } from '../../lti/require-launch.ts';
import { translate, type Locale } from '../i18n.ts';
import { SVG_CSP } from '../security-headers.ts';
import type { PageRenderer } from '../views.ts';

export interface AchievementImageRouterDependencies {
  db: Database;
  requireLaunch: RequireLaunch;
  pages: PageRenderer;
}

/** The multipart body read for an upload: the file's limit plus room for the form's other parts. */
const UPLOAD_BODY_LIMIT = BADGE_UPLOAD_MAX_BYTES * 4;

/** What the partial shows; every text already in the page's language. */
export interface AchievementImageView {
  currentSrc: string;
  /** The unsaved design drawn by the preview route (the live preview's starting point). */
  previewUrl: string;
  source: 'upload' | 'design' | null;
  design: BadgeDesign;
  previewSrc: string | null;
  saved: boolean;
  removed: boolean;
  fileError: string | null;
  fieldErrors: Partial<Record<BadgeDesignField, string>>;
  maxKb: number;
}

export function achievementImageRouter({ db, requireLaunch, pages }: AchievementImageRouterDependencies): Router {
  const router = Router();
  const instructorOnly = requireLaunch({ roles: 'instructor' });
  const achievements = createAchievementRepository(db);
  const images = createAchievementImageRepository(db);
  const issuers = createIssuerRepository(db);

  const ownAchievement = courseAchievementFinder(achievements);

  const storedDesign = (stored: AchievementImage | null): BadgeDesign =>
    stored?.source === 'design' && stored.design ? parseBadgeDesign(stored.design).design : DEFAULT_BADGE_DESIGN;

  const render = async (
    res: Response,
    status: number,
    achievement: Achievement,
    extra: Partial<Pick<AchievementImageView, 'design' | 'previewSrc' | 'saved' | 'removed' | 'fileError' | 'fieldErrors'>> = {},
  ) => {
    const launch = res.locals.launch as Launch;
    const locale = res.locals.locale as Locale;
    const stored = await images.find(achievement.id);
    const image: AchievementImageView = {
      currentSrc: currentSrc(achievement, launch.ltik, stored),
      source: stored?.source ?? null,
      design: storedDesign(stored),
      previewSrc: null,
      saved: false,
      removed: false,
      fileError: null,
      fieldErrors: {},
      maxKb: BADGE_UPLOAD_MAX_BYTES / 1024,
      previewUrl: '',
      ...extra,
    };
    image.previewUrl = `/app/achievements/${achievement.id}/image/preview.svg?${new URLSearchParams({ ltik: launch.ltik, ...image.design })}`;
    res
      .status(status)
      .type('html')
      .send(
        pages.render(
          'achievement-image',
          {
            title: translate(locale, 'img.page.title', { name: achievement.name }),
            ltik: launch.ltik,
            achievement: { id: achievement.id, name: achievement.name },
            langPath: `/app/achievements/${achievement.id}/image`,
            image,
          },
          locale,
        ),
      );
  };

  const back = (res: Response, achievement: Achievement, from: unknown, flag: 'saved' | 'removed') => {
    const launch = res.locals.launch as Launch;
    const query = `ltik=${encodeURIComponent(launch.ltik)}&image=${flag}`;
    res.redirect(303, from === 'edit' ? `/app/achievements/${achievement.id}/edit?${query}#badge-image` : `/app/achievements/${achievement.id}/image?${query}`);
  };

  router.get('/app/achievements/:id/image', instructorOnly, async (req, res) => {
    const achievement = await ownAchievement(res, String(req.params.id));
    await render(res, 200, achievement, { saved: req.query.image === 'saved', removed: req.query.image === 'removed' });
  });

  router.get('/app/achievements/:id/image/current', instructorOnly, async (req, res) => {
    const achievement = await ownAchievement(res, String(req.params.id));
    res.set('cache-control', 'private, no-store');
    const inline = /^data:(image\/png|image\/svg\+xml);base64,([A-Za-z0-9+/=]+)$/.exec(achievement.imageUrl ?? '');
    if (inline) {
      if (inline[1] === 'image/svg+xml') res.set('content-security-policy', SVG_CSP);
      res.type(inline[1]!).send(Buffer.from(inline[2]!, 'base64'));
      return;
    }
    if (achievement.imageUrl && /^https:\/\//.test(achievement.imageUrl)) {
      // An image URL chosen before uploads existed: the browser loads it from there.
      res.redirect(302, achievement.imageUrl);
      return;
    }
    const issuer = await issuers.findById(achievement.issuerId);
    res.set('content-security-policy', SVG_CSP).type('image/svg+xml').send(generateBadgeSvg({ achievementName: achievement.name, issuerName: issuer?.name ?? '' }));
  });

  router.get('/app/achievements/:id/image/preview.svg', instructorOnly, async (req, res) => {
    const achievement = await ownAchievement(res, String(req.params.id));
    const { design } = parseBadgeDesign(req.query as Record<string, unknown>);
    res.set('cache-control', 'private, no-store').set('content-security-policy', SVG_CSP).type('image/svg+xml').send(designBadgeSvg({ design, achievementName: achievement.name }));
  });

  router.post(
    '/app/achievements/:id/image/upload',
    instructorOnly,
    express.raw({ type: 'multipart/form-data', limit: UPLOAD_BODY_LIMIT }),
    async (req: Request, res: Response) => {
      const launch = res.locals.launch as Launch;
      const locale = res.locals.locale as Locale;
      const achievement = await ownAchievement(res, String(req.params.id));
      const fail = (key: string, params: Record<string, string | number> = {}) =>
        render(res, 400, achievement, { fileError: translate(locale, `img.error.${key}`, { maxKb: BADGE_UPLOAD_MAX_BYTES / 1024, ...params }) });
      if (!Buffer.isBuffer(req.body)) return fail('not_multipart');
      // The platform's own multipart reader (undici's), as /verify does.
      const form = await new globalThis.Request('http://sello.invalid/', { method: 'POST', headers: { 'content-type': String(req.headers['content-type']) }, body: req.body })
        .formData()
        .catch(() => null);
      if (!form) return fail('not_multipart');
      const file = form.get('file');
      if (!file || typeof file === 'string' || file.size === 0) return fail('empty');
      const result = readBadgeUpload(Buffer.from(await file.arrayBuffer()));
      if (!result.ok) {
        const detail = result.problem === 'png_dimensions' ? result.details[0] ?? '' : result.details.slice(0, 3).join('; ');
        return fail(result.problem, { detail, min: 64, max: 2048 });
      }
      await images.save({
        achievementId: achievement.id,
        source: 'upload',
        mediaType: result.mediaType,
        design: null,
        updatedBy: `lti:${launch.platformId}:${launch.userId}`,
        dataUri: result.dataUri,
      });
      back(res, achievement, form.get('from'), 'saved');
    },
  );

  router.post('/app/achievements/:id/image/design', instructorOnly, async (req, res) => {
    const launch = res.locals.launch as Launch;
    const locale = res.locals.locale as Locale;
    const achievement = await ownAchievement(res, String(req.params.id));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const { design, problems } = parseBadgeDesign(body);
    if (problems.length > 0) {
      const fieldErrors = Object.fromEntries(problems.map((field) => [field, translate(locale, `img.error.design.${field}`)]));
      return render(res, 400, achievement, { design: { ...design, text: typeof body.text === 'string' ? body.text.slice(0, 200) : '' }, fieldErrors });
    }
    if (body.action === 'preview') {
      return render(res, 200, achievement, { design, previewSrc: designBadgeDataUri({ design, achievementName: achievement.name }) });
    }
    await images.save({
      achievementId: achievement.id,
      source: 'design',
      mediaType: 'image/svg+xml',
      design: { ...design },
      updatedBy: `lti:${launch.platformId}:${launch.userId}`,
      dataUri: designBadgeDataUri({ design, achievementName: achievement.name }),
    });
    back(res, achievement, body.from, 'saved');
  });

  router.post('/app/achievements/:id/image/remove', instructorOnly, async (req, res) => {
    const achievement = await ownAchievement(res, String(req.params.id));
    await images.remove(achievement.id);
    back(res, achievement, (req.body as Record<string, unknown> | undefined)?.from, 'removed');
  });

  return router;
}

/** Where the page shows the achievement's current image (a fresh URL after each change). */
function currentSrc(achievement: Achievement, ltik: string, stored: AchievementImage | null): string {
  const version = (stored?.updatedAt ?? achievement.updatedAt).getTime();
  return `/app/achievements/${achievement.id}/image/current?ltik=${encodeURIComponent(ltik)}&v=${version}`;
}
