/**
 * The course round trip against the sandbox LMS behaving as Moodle does (issue 12): an
 * instructor attaches a badge by Deep Linking, learners who never open Sello are known
 * from the roster (NRPS, paged, then `differences`), saving criteria awards those who
 * already qualify, the badge has one column, and the badge leaves every course total as
 * it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from 'pino';
import { startSandboxLms, ROLE, type Sandbox, type ToolRegistration } from '../../src/sandbox-lms/index.ts';
import { createBrowser, decodeHtml, type Page } from '../support/sandbox-lms/browser.ts';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';
import { createPlatformRepository, type Platform } from '../../src/storage/platform-repository.ts';
import { createAchievementRepository, type Achievement } from '../../src/storage/achievement-repository.ts';
import { createOutcomeRepository, type OutcomeContext } from '../../src/storage/outcome-repository.ts';
import { createUserRepository } from '../../src/storage/user-repository.ts';
import { createAwardRepository } from '../../src/storage/award-repository.ts';
import { createIssuanceWorker, type IssuanceWorker } from '../../src/issuance/issuance-worker.ts';
import { createIssueCredentialSigner } from '../../src/issuance/credential-signer.ts';
import { createIssuerKeyProvider } from '../../src/issuance/issuer-keys.ts';
import { createAgsGradebook } from '../../src/issuance/ags-gradebook.ts';
import { createCourseSync } from '../../src/issuance/start-issuance.ts';
import { ingestOutcomes } from '../../src/outcomes/ingest-outcomes.ts';
import { badgeAchievementOf } from '../../src/lti/badge-line-item.ts';
import { createOutboundFetch } from '../../src/outbound/outbound-fetch.ts';
import { ltiFormFields } from '../support/form-token.ts';

/** Sello's outbound client; the fakes listen on 127.0.0.1. */
const outboundFetch = createOutboundFetch({ allowPrivate: true });

/** A logger that keeps what it was told, to check what reaches the logs. */
function recordingLogger() {
  const lines: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
  const log = { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug'), trace: at('trace'), fatal: at('fatal') };
  return { log: log as unknown as Logger, lines };
}

describe('the course round trip', () => {
  let lms: Sandbox;
  let sello: RunningTestSello;
  let registration: ToolRegistration;
  let platform: Platform;
  let context: OutcomeContext;
  let worker: IssuanceWorker;
  let badge: Achievement;
  let teacherLtik: string;
  const logs = recordingLogger();
  const courseSync = () => createCourseSync({ db: sello.db, kek: sello.config.secrets.keyEncryptionKey!, ltiServices: sello.lti.services, fetch: outboundFetch, log: logs.log });

  const launch = async (sub: string, extra: { messageType?: 'LtiDeepLinkingRequest'; resourceLinkId?: string; custom?: Record<string, string> } = {}): Promise<Page> => {
    const browser = createBrowser();
    return browser.submit(await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: sub, courseId: 'course-rt', ...extra }).url));
  };
  const ltikOf = (page: Page) => new URL(page.url).searchParams.get('ltik')!;
  /** A quiz grade as the Moodle connector reads it: the course's own grade item, not an AGS one. */
  const gradeQuiz = async (sub: string, grade: number) => {
    lms.setGrade('quiz-1', sub, grade);
    await ingestOutcomes({
      db: sello.db,
      events: [{ platform: platform.id, context: 'course-rt', learner: sub, activity: 'moodle:cm:7', activityName: 'Quiz 1', score: grade, max: 10, completed: null, at: new Date(), source: 'moodle' }],
    });
  };
  const userOf = async (sub: string) => (await createUserRepository(sello.db).findBySub(platform.id, sub))!;
  const badgeColumns = (achievementId: string) => [...lms.lineItems.values()].filter((item) => badgeAchievementOf(item) === achievementId);
  const form = (path: string, ltik: string, fields: Record<string, string>) =>
    fetch(`${sello.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ ...ltiFormFields(ltik), ...fields }).toString(),
    });

  beforeAll(async () => {
    lms = await startSandboxLms({ productFamily: 'moodle', pageSize: 2 });
    // The composition root's launch hook: an instructor's launch reads the roster first.
    sello = await startTestSello({
      env: { LTI_DYNREG_AUTO_APPROVE: 'true' },
      sleep: async () => {},
      onLaunch: () => async (event) => void (await courseSync()(event.contextId, undefined, { roster: event.isInstructor })),
    });
    worker = createIssuanceWorker({
      db: sello.db,
      signer: createIssueCredentialSigner({
        keys: createIssuerKeyProvider({ db: sello.db, kek: sello.config.secrets.keyEncryptionKey!, publicUrl: sello.url }),
        publicUrl: sello.url,
        chainReference: null,
      }),
      gradebook: createAgsGradebook({ db: sello.db, services: sello.lti.services }),
      publicUrl: sello.url,
      defaultLocale: 'en',
      log: logs.log,
      concurrency: 2,
      maxAttempts: 8,
      baseBackoffMs: 1,
      maxBackoffMs: 2,
    });
    lms.addUser({ sub: 'teacher', name: 'Tina Teacher', locale: 'en' });
    for (const sub of ['ana', 'beto', 'carla', 'dario', 'eva']) lms.addUser({ sub, name: `Learner ${sub}`, email: `${sub}@uni.example` });
    lms.addCourse({ id: 'course-rt', title: 'Statistics', label: 'ST-1' });
    lms.enroll('course-rt', 'teacher', [ROLE.instructor]);
    for (const sub of ['ana', 'beto', 'carla', 'dario']) lms.enroll('course-rt', sub, [ROLE.learner]);
    lms.addGradeItem({ courseId: 'course-rt', id: 'quiz-1', name: 'Quiz 1', max: 10 });

    await createBrowser().get(`${sello.url}/lti/register?openid_configuration=${encodeURIComponent(lms.openIdConfigurationUrl())}&registration_token=${lms.newRegistrationToken()}`);
    registration = [...lms.registrations.values()][0]!;
    platform = (await createPlatformRepository(sello.db).findByIssuerAndClient(lms.issuer, registration.clientId))!;

    // The instructor attaches a new badge by Deep Linking; the LMS creates its column.
    const picker = await launch('teacher', { messageType: 'LtiDeepLinkingRequest' });
    const returning = await createBrowser().post(`${sello.url}/app/deep-link/create`, { ...ltiFormFields(ltikOf(picker)), name: 'Descriptive statistics' });
    await createBrowser().submit(returning);
    // The instructor's next launch sees the LMS saved the activity: the badge is confirmed.
    teacherLtik = ltikOf(await launch('teacher'));
    context = (await createOutcomeRepository(sello.db).findContextByLmsId(platform.id, 'course-rt'))!;
    badge = (await createAchievementRepository(sello.db).listForContext(context.id))[0]!;
  }, 120_000);
  afterAll(async () => {
    await sello?.close();
    await lms?.close();
  });

  it('gives a learner who never launched Sello the credential and the gradebook link', async () => {
    // The instructor's first launch read the whole roster (five members, two per page); the
    // second asked only for the differences (one page): beto, who never opened Sello, is known.
    expect(await userOf('beto')).toMatchObject({ name: 'Learner beto', email: 'beto@uni.example' });
    expect(lms.log.filter((entry) => entry.path === '/courses/course-rt/memberships').length).toBe(4);
    await createAchievementRepository(sello.db).update(badge.id, {
      criteria: { kind: 'all', rules: [{ kind: 'score', activity: 'moodle:cm:7', label: 'Quiz 1', minPercent: 80 }] },
    });
    await gradeQuiz('beto', 9);
    await worker.runUntilIdle();

    const award = (await createAwardRepository(sello.db).find(badge.id, (await userOf('beto')).id))!;
    expect(award.state).toBe('posted');
    const column = badgeColumns(badge.id);
    expect(column).toHaveLength(1);
    const result = lms.results.get(`${column[0]!.id}/results/beto`)!;
    expect(result.comment).toBe(`Badge earned: Descriptive statistics — ${sello.url}/credentials/${encodeURIComponent(award.credentialId!)}`);
    const credential = await sello.db.query<{ document: { credentialSubject: { identifier: unknown[] } } }>('SELECT document FROM credentials WHERE id = $1', [award.credentialId]);
    expect(credential.rows).toHaveLength(1);
  });

  it('parks an award whose learner has no email at once, says why on the achievement page, and heals at the next roster sync', async () => {
    // Eva gets a grade before the LMS roster lists her: Sello knows her only by id.
    await gradeQuiz('eva', 10);
    await worker.runUntilIdle();
    const eva = await userOf('eva');
    const award = (await createAwardRepository(sello.db).find(badge.id, eva.id))!;
    expect(award.state).toBe('awarded');
    const parked = await sello.db.query<{ attempts: number; parked_reason: string }>(
      `SELECT attempts, parked_reason FROM issuance_jobs WHERE state = 'failed' AND key = $1`,
      [award.id],
    );
    expect(parked.rows).toEqual([{ attempts: 1, parked_reason: 'recipient_unreachable' }]);
    const page = decodeHtml(await (await fetch(`${sello.url}/app/achievements/${badge.id}/edit?ltik=${teacherLtik}`)).text());
    expect(page).toContain(`${eva.sub}: earned, waiting for an email address`);
    const learnerPage = decodeHtml(await (await launch('ana')).text);
    expect(learnerPage).not.toContain('is being issued'); // ana has no award

    // The LMS enrols her; the scheduled sync asks only for what changed.
    lms.enroll('course-rt', 'eva', [ROLE.learner]);
    const report = await courseSync()(context.id);
    expect(report.sources.nrps).toEqual({ batches: 1 });
    expect(lms.log.filter((entry) => entry.path === '/courses/course-rt/memberships').at(-1)).toMatchObject({ status: 200 });
    await worker.runUntilIdle();
    expect((await createAwardRepository(sello.db).find(badge.id, eva.id))!.state).toBe('posted');
    expect(lms.results.get(`${badgeColumns(badge.id)[0]!.id}/results/eva`)!.comment).toContain(`${sello.url}/credentials/`);
    const waiting = decodeHtml(await (await fetch(`${sello.url}/app/achievements/${badge.id}/edit?ltik=${teacherLtik}`)).text());
    expect(waiting).not.toContain('waiting for an email address');
  });

  it('awards every learner who already qualifies when an instructor saves new criteria', async () => {
    await gradeQuiz('ana', 6);
    await gradeQuiz('carla', 7);
    await worker.runUntilIdle();
    const saved = await form('/app/achievements/new', teacherLtik, {
      name: 'Quiz finisher',
      criteria: JSON.stringify({ kind: 'all', rules: [{ kind: 'score', activity: 'moodle:cm:7', minPercent: 60 }] }),
      policy: 'keep',
    });
    expect(saved.status).toBe(303);
    const finisher = (await createAchievementRepository(sello.db).listForContext(context.id)).find((a) => a.name === 'Quiz finisher')!;
    // No grade changed: the save alone queued the course's evaluations.
    await worker.runUntilIdle();
    const awarded = (await createAwardRepository(sello.db).listForAchievement(finisher.id)).map((award) => award.learnerSub).sort();
    expect(awarded).toEqual(['ana', 'beto', 'carla', 'eva']);
    expect(badgeColumns(finisher.id)).toHaveLength(1);
  });

  it('awards those who already qualify when an existing achievement of the library is attached by Deep Linking', async () => {
    const library = await createAchievementRepository(sello.db).create({
      issuerId: platform.issuerId,
      contextId: null,
      name: 'Quiz perfectionist',
      criteria: { kind: 'all', rules: [{ kind: 'score', activity: 'moodle:cm:7', minPercent: 100 }] },
    });
    const picker = await launch('teacher', { messageType: 'LtiDeepLinkingRequest' });
    const returning = await createBrowser().post(`${sello.url}/app/deep-link`, { ...ltiFormFields(ltikOf(picker)), achievementId: library.id });
    expect(returning.status).toBe(200);
    await worker.runUntilIdle();
    const awarded = (await createAwardRepository(sello.db).listForAchievement(library.id)).map((award) => award.learnerSub);
    expect(awarded).toEqual(['eva']); // 10/10; beto's 9/10 is not enough
  });

  it('keeps one column per badge across Deep Linking, launches and posts, and merges a second one left by older Sellos', async () => {
    const [column] = badgeColumns(badge.id);
    expect(column).toMatchObject({ resourceId: badge.id, resourceLinkId: expect.any(String) });
    // A learner's launch of the badge's link names the same column in its AGS claim.
    await launch('dario', { resourceLinkId: column!.resourceLinkId, custom: { achievement_id: badge.id } });
    expect((await createAchievementRepository(sello.db).findLink(badge.id, context.id))!.lineItemUrl).toBe(column!.id);

    // An older Sello made its own column for the badge and posted a graded score there.
    const legacy = await sello.lti.services
      .ags(platform.id)
      .findOrCreateLineItem(context.agsLineItemsUrl!, { label: 'Badge: Descriptive statistics', scoreMaximum: 100, resourceId: `sello:achievement:${badge.id}` });
    const beto = await userOf('beto');
    const award = (await createAwardRepository(sello.db).find(badge.id, beto.id))!;
    await sello.lti.services.ags(platform.id).postScore(legacy.id, { userId: 'beto', scoreGiven: 100, scoreMaximum: 100, activityProgress: 'Completed', gradingProgress: 'FullyGraded', timestamp: new Date().toISOString() });
    await sello.db.query('UPDATE awards SET line_item_url = $2 WHERE id = $1', [award.id, legacy.id]);
    expect(badgeColumns(badge.id)).toHaveLength(2);

    await courseSync()(context.id);
    await worker.runUntilIdle();
    expect(badgeColumns(badge.id).map((item) => item.id)).toEqual([column!.id]);
    expect((await createAwardRepository(sello.db).findById(award.id))!).toMatchObject({ state: 'posted', lineItemUrl: column!.id });
    expect(lms.results.get(`${column!.id}/results/beto`)!.comment).toContain(award.credentialId!.slice(9));
  });

  it('parks evaluations at once when stored criteria no longer validate, says so on that page, and heals when they are saved', async () => {
    // Criteria edited behind the editor's back (a database edit, an old export).
    const broken = await createAchievementRepository(sello.db).create({
      issuerId: platform.issuerId,
      contextId: context.id,
      name: 'Broken rules',
      criteria: { kind: 'all', rules: [{ kind: 'score', activity: 'moodle:cm:7', minPercent: 150 }] },
    });
    await gradeQuiz('dario', 10);
    await worker.runUntilIdle();
    const parked = await sello.db.query<{ attempts: number; parked_reason: string }>(
      `SELECT attempts, parked_reason FROM issuance_jobs WHERE state = 'failed' AND kind = 'evaluate'`,
    );
    expect(parked.rows).toEqual([{ attempts: 1, parked_reason: 'criteria_invalid' }]);
    // The other badges of the course were still evaluated for dario.
    expect((await createAwardRepository(sello.db).find(badge.id, (await userOf('dario')).id))!.state).toBe('posted');
    const page = decodeHtml(await (await fetch(`${sello.url}/app/achievements/${broken.id}/edit?ltik=${teacherLtik}`)).text());
    expect(page).toContain('The criteria no longer validate (1 learners waiting)');

    const saved = await form(`/app/achievements/${broken.id}/edit`, teacherLtik, {
      name: 'Broken rules',
      criteria: JSON.stringify({ kind: 'all', rules: [{ kind: 'score', activity: 'moodle:cm:7', minPercent: 100 }] }),
      policy: 'keep',
    });
    expect(saved.status).toBe(303);
    await worker.runUntilIdle();
    expect((await sello.db.query(`SELECT 1 FROM issuance_jobs WHERE state = 'failed'`)).rowCount).toBe(0);
    expect((await createAwardRepository(sello.db).listForAchievement(broken.id)).map((award) => award.learnerSub).sort()).toEqual(['dario', 'eva']);
  });

  it("leaves every learner's course total, as Moodle computes it, as it was before the badge", async () => {
    // beto: quiz 9/10 and two badges posted; eva: 10/10 and two badges.
    expect(lms.courseTotal('course-rt', 'beto')).toEqual({ grade: 9, max: 10 });
    expect(lms.courseTotal('course-rt', 'eva')).toEqual({ grade: 10, max: 10 });
    expect(lms.courseTotal('course-rt', 'ana')).toEqual({ grade: 6, max: 10 });
    // What a graded badge column does to the same total (the 10/10 → 110/110 seen in Moodle).
    const [column] = badgeColumns(badge.id);
    await sello.lti.services.ags(platform.id).postScore(column!.id, { userId: 'carla', scoreGiven: 100, scoreMaximum: 100, activityProgress: 'Completed', gradingProgress: 'FullyGraded', timestamp: new Date().toISOString() });
    expect(lms.courseTotal('course-rt', 'carla')).toEqual({ grade: 107, max: 110 });
  });

  it('logs awards, signatures, gradebook posts and parked jobs at info, with ids and no email', () => {
    const info = logs.lines.filter((line) => line.level === 'info');
    for (const message of ['badge awarded', 'credential signed', 'badge posted to gradebook', 'issuance job parked', 'roster synced', 'extra badge column merged']) {
      expect(info.map((line) => line.message)).toContain(message);
    }
    expect(info.find((line) => line.message === 'credential signed')!.fields).toMatchObject({ awardId: expect.any(String), credentialId: expect.stringMatching(/^urn:uuid:/) });
    expect(info.find((line) => line.message === 'issuance job parked')!.fields).toMatchObject({ reason: 'recipient_unreachable' });
    expect(JSON.stringify(logs.lines)).not.toMatch(/@uni\.example/);
  });
});
