/**
 * The session of Sello's app pages inside the LMS: the ltik (ltijs's launch token, an
 * HS256 JWT carrying the launch's OIDC state) travels in every link and form, so pages
 * work in an iframe whose cookies the browser blocks.
 *
 * https://www.imsglobal.org/spec/lti/v1p3#launch-from-a-resource-link
 */
import type { RequestHandler } from 'express';
import { jwtVerify } from 'jose';
import type { Database } from '../storage/database.ts';
import { createLtiLaunchRepository } from '../storage/lti-launch-repository.ts';
import { isInstructorRole, isLearnerRole } from './claims.ts';
import { LtiError, sendLtiError } from './errors.ts';

/** What every app page knows about the visit (`res.locals.launch`); ids are Sello's row ids. */
export interface Launch {
  platformId: string;
  contextId: string;
  userId: string;
  deploymentId: string;
  roles: string[];
  isInstructor: boolean;
  locale: 'en' | 'es';
  ltik: string;
  /** A Deep Linking launch's pages end by answering the LMS (`LtiDeepLinkingResponse`). */
  messageType: 'LtiResourceLinkRequest' | 'LtiDeepLinkingRequest';
}

export interface RequireLaunchOptions {
  /** `instructor`: Instructor, TA, ContentDeveloper, Administrator. `learner`: Learner or not an instructor. */
  roles?: 'instructor' | 'learner' | 'any';
}

export type RequireLaunch = (options?: RequireLaunchOptions) => RequestHandler;

/** Where a request carries its ltik: `?ltik=`, a form field, or `Authorization: Bearer`. */
export function ltikOf(req: { query: Record<string, unknown>; body?: unknown; get(name: string): string | undefined }): string | null {
  if (typeof req.query.ltik === 'string' && req.query.ltik) return req.query.ltik;
  const body = req.body as Record<string, unknown> | undefined;
  if (body && typeof body.ltik === 'string' && body.ltik) return body.ltik;
  const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  return match ? match[1]! : null;
}

/** The launch an ltik stands for, `null` when it is not a valid session (any reason). */
export type LaunchOfLtik = (ltik: string) => Promise<Launch | null>;

/**
 * The launch behind an ltik: a valid signature, a launch not yet expired, its platform
 * registered and active.
 *
 * @throws LtiError `lti_session_required`, `lti_platform_inactive`.
 */
function createLaunchReader({ db, ltikSecret }: { db: Database; ltikSecret: string }) {
  const launches = createLtiLaunchRepository(db);
  const key = new TextEncoder().encode(ltikSecret);
  return async (ltik: string) => {
    let payload: Record<string, unknown>;
    try {
      payload = (await jwtVerify(ltik, key, { algorithms: ['HS256'] })).payload as Record<string, unknown>;
    } catch (cause) {
      throw new LtiError('lti_session_required', 'This session link is not valid; open Sello again from your course', undefined, { cause });
    }
    const session = typeof payload.s === 'string' ? await launches.findSessionByState(payload.s) : null;
    if (!session || !session.contextId) throw new LtiError('lti_session_required', 'This session has expired; open Sello again from your course');
    const { platform, ...launch } = session;
    if (!platform || platform.iss !== payload.platformUrl || platform.clientId !== payload.clientId) {
      throw new LtiError('lti_session_required', 'This session does not match a registered platform');
    }
    if (platform.status !== 'active') throw new LtiError('lti_platform_inactive', 'This LMS registration is not active in Sello');
    return { state: payload.s as string, launch: { ...launch, contextId: session.contextId } };
  };
}

/**
 * `launchOf(ltik)` for pages outside the LMS that only need to know who is visiting (the
 * public credential page recognizing its recipient): the same checks as `requireLaunch`,
 * without its role, course and language handling.
 */
export function createLaunchOfLtik({ db, ltikSecret }: { db: Database; ltikSecret: string }): LaunchOfLtik {
  const read = createLaunchReader({ db, ltikSecret });
  return async (ltik) => {
    try {
      const { launch } = await read(ltik);
      return launchView(launch, ltik, launch.locale);
    } catch (error) {
      if (error instanceof LtiError) return null;
      throw error;
    }
  };
}

function launchView(
  launch: { platformId: string; contextId: string; userId: string; deploymentId: string; roles: string[]; messageType: Launch['messageType'] },
  ltik: string,
  locale: Launch['locale'],
): Launch {
  return {
    platformId: launch.platformId,
    contextId: launch.contextId,
    userId: launch.userId,
    deploymentId: launch.deploymentId,
    roles: launch.roles,
    isInstructor: isInstructorRole(launch.roles),
    locale,
    ltik,
    messageType: launch.messageType,
  };
}

/**
 * Builds `requireLaunch`. The middleware answers 401 `lti_session_required` without a
 * valid, unexpired ltik, 403 `lti_forbidden` when the role does not fit or when the
 * request names a course (`:contextId` param, `contextId` query or field) other than the
 * launch's own, and 403 `lti_platform_inactive` once the platform is disabled.
 */
export function createRequireLaunch({ db, ltikSecret }: { db: Database; ltikSecret: string }): RequireLaunch {
  const launches = createLtiLaunchRepository(db);
  const read = createLaunchReader({ db, ltikSecret });

  return (options = {}) =>
    async (req, res, next) => {
      try {
        const ltik = ltikOf(req);
        if (!ltik) throw new LtiError('lti_session_required', 'Open Sello from your course in the LMS to continue');
        const { state, launch } = await read(ltik);

        const isInstructor = isInstructorRole(launch.roles);
        const wanted = options.roles ?? 'any';
        if (wanted === 'instructor' && !isInstructor) throw new LtiError('lti_forbidden', 'Only instructors of this course can do this');
        if (wanted === 'learner' && isInstructor && !isLearnerRole(launch.roles)) {
          throw new LtiError('lti_forbidden', 'This page is for learners of the course');
        }
        const body = (req.body ?? {}) as Record<string, unknown>;
        const named = [req.params?.contextId, req.query.contextId, body.contextId].find((value) => typeof value === 'string');
        if (named !== undefined && named !== launch.contextId) throw new LtiError('lti_forbidden', 'That course is not the one you opened Sello from');

        // Pages speak the session's language: the LMS's at launch, or the one the person
        // picked with the language link (`?lang=` with the ltik), kept for this session
        // only. The `sello_lang` cookie of public pages never applies here, so the next
        // launch speaks the LMS's language again.
        const chosen = typeof req.query.lang === 'string' ? req.query.lang.trim().toLowerCase().split(/[-_]/)[0] : null;
        let locale = launch.locale;
        if ((chosen === 'en' || chosen === 'es') && chosen !== launch.locale) {
          await launches.setLocale(state, chosen);
          locale = chosen;
        }
        res.locals.launch = launchView(launch, ltik, locale);
        res.locals.ltiLocale = locale;
        res.locals.locale = locale;
        next();
      } catch (error) {
        if (error instanceof LtiError) sendLtiError(req, res, error);
        else next(error);
      }
    };
}
