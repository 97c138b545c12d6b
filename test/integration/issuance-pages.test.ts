/**
 * The instructor's achievement editor and the learner's progress, reached by real LTI
 * launches from the sandbox LMS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxLms, ROLE, type Sandbox, type ToolRegistration } from '../../src/sandbox-lms/index.ts';
import { decodeHtml } from '../support/sandbox-lms/browser.ts';
import { launchLtik, registerSello } from '../support/sandbox-lms/launch.ts';
import { startSelloWithPages, type SelloWithPages } from '../support/issuance/sello-with-pages.ts';
import { createPlatformRepository } from '../../src/storage/platform-repository.ts';
import { createOutcomeRepository } from '../../src/storage/outcome-repository.ts';
import { createAchievementRepository } from '../../src/storage/achievement-repository.ts';
import { ingestOutcomes } from '../../src/outcomes/ingest-outcomes.ts';
import { ltiFormFields } from '../support/form-token.ts';

describe('achievement pages', () => {
  let lms: Sandbox;
  let sello: SelloWithPages;
  let registration: ToolRegistration;
  let teacherLtik: string;
  let learnerLtik: string;
  let platformId: string;
  let contextId: string;

  const launch = (sub: string) => launchLtik(lms, registration, sub, 'course-p');
  const form = (path: string, ltik: string, fields: Record<string, string>) =>
    fetch(`${sello.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ ...ltiFormFields(ltik), ...fields }).toString(),
    });

  beforeAll(async () => {
    lms = await startSandboxLms({ productFamily: 'moodle' });
    sello = await startSelloWithPages();
    lms.addUser({ sub: 'prof', name: 'Profesora', locale: 'es-CR' });
    lms.addUser({ sub: 'eva', name: 'Eva Estudiante', email: 'eva@uni.example', locale: 'es' });
    lms.addCourse({ id: 'course-p', title: 'Biología' });
    lms.enroll('course-p', 'prof', [ROLE.instructor]);
    lms.enroll('course-p', 'eva', [ROLE.learner]);
    registration = await registerSello(lms, sello.url);
    platformId = (await createPlatformRepository(sello.db).findByIssuerAndClient(lms.issuer, registration.clientId))!.id;
    teacherLtik = await launch('prof');
    learnerLtik = await launch('eva');
    contextId = (await createOutcomeRepository(sello.db).findContextByLmsId(platformId, 'course-p'))!.id;
    await ingestOutcomes({
      db: sello.db,
      events: [{ platform: platformId, context: 'course-p', learner: 'eva', activity: 'quiz3', activityName: 'Quiz 3', score: 72, max: 100, completed: null, at: new Date(), source: 'webhook' }],
    });
  }, 120_000);
  afterAll(async () => {
    await sello?.close();
    await lms?.close();
  });

  it('shows the problems of bad criteria in the page, in Spanish, keeping what was typed', async () => {
    const res = await form('/app/achievements/new', teacherLtik, {
      name: 'Microscopía',
      criteria: JSON.stringify({ kind: 'all', rules: [{ kind: 'score', activity: 'quiz9', minPercent: 120 }] }),
      policy: 'keep',
    });
    expect(res.status).toBe(400);
    const html = decodeHtml(await res.text());
    expect(html).toContain('Corrige lo siguiente');
    // In words, not the schema's path (`rules.0.minPercent: …`).
    expect(html).toContain('Regla 1: indica el porcentaje necesario, un número de 0 a 100');
    expect(html).not.toContain('rules.0');
    expect(html).toContain('value="Microscopía"');
    const empty = await form('/app/achievements/new', teacherLtik, { name: '', criteria: '{', policy: 'keep' });
    expect(empty.status).toBe(400);
    const emptyHtml = decodeHtml(await empty.text());
    expect(emptyHtml).toContain('Dale un nombre al logro');
    expect(emptyHtml).toContain('Los criterios no son JSON válido.');
    expect(await createAchievementRepository(sello.db).listForContext(contextId)).toEqual([]);
  });

  it('creates an achievement with validated criteria and bilingual narratives', async () => {
    const res = await form('/app/achievements/new', teacherLtik, {
      name: 'Microscopía',
      description: 'Uso seguro del microscopio',
      criteria: JSON.stringify({ kind: 'all', rules: [{ kind: 'score', activity: 'quiz3', minPercent: 80 }] }),
      policy: 'revoke',
    });
    expect(res.status).toBe(303);
    const [achievement] = await createAchievementRepository(sello.db).listForContext(contextId);
    expect(achievement).toMatchObject({ name: 'Microscopía', belowCriteriaPolicy: 'revoke' });
    expect(achievement!.criteriaNarrative).toEqual({
      en: 'All of the following:\n- Score at least 80% in Quiz 3',
      es: 'Todo lo siguiente:\n- Obtener al menos 80% en Quiz 3',
    });
    const edit = await fetch(`${sello.url}${res.headers.get('location')}`);
    const html = decodeHtml(await edit.text());
    expect(html).toContain('Guardado.');
    expect(html).toContain('Eva Estudiante');
  });

  it("shows the learner's progress towards each badge", async () => {
    const res = await fetch(`${sello.url}/app/learner?ltik=${learnerLtik}`);
    const html = decodeHtml(await res.text());
    expect(html).toContain('Tu progreso');
    expect(html).toContain('Quiz 3: 72% de los 80% necesarios');
  });

  it('refuses a manual award without a reason, then awards with one', async () => {
    const achievement = (await createAchievementRepository(sello.db).listForContext(contextId))[0]!;
    const eva = (await sello.db.query<{ id: string }>(`SELECT id FROM users WHERE sub = 'eva'`)).rows[0]!;
    const bad = await form(`/app/achievements/${achievement.id}/award`, teacherLtik, { userId: eva.id, reason: '' });
    expect(bad.status).toBe(400);
    expect(decodeHtml(await bad.text())).toContain('Indica un motivo');
    const good = await form(`/app/achievements/${achievement.id}/award`, teacherLtik, { userId: eva.id, reason: 'Práctica presencial' });
    expect(good.status).toBe(303);
    const { rows } = await sello.db.query<{ origin: string; reason: string; awarded_by: string }>('SELECT origin, reason, awarded_by FROM awards');
    expect(rows).toEqual([{ origin: 'manual', reason: 'Práctica presencial', awarded_by: expect.stringMatching(/^lti:/) }]);
  });

  it('answers 400 with the learner problem in the page for an empty or malformed learner id', async () => {
    const achievement = (await createAchievementRepository(sello.db).listForContext(contextId))[0]!;
    for (const userId of ['', 'not-a-uuid']) {
      const res = await form(`/app/achievements/${achievement.id}/award`, teacherLtik, { userId, reason: 'Práctica presencial' });
      expect(res.status).toBe(400);
      expect(decodeHtml(await res.text())).toContain('Elige un estudiante de este curso.');
    }
  });

  it('refuses to revoke from the editor without a reason, and answers a code for an award or achievement that is not this course\'s', async () => {
    const achievement = (await createAchievementRepository(sello.db).listForContext(contextId))[0]!;
    const award = (await sello.db.query<{ id: string }>('SELECT id FROM awards WHERE achievement_id = $1', [achievement.id])).rows[0]!;
    const bad = await form(`/app/awards/${award.id}/revoke`, teacherLtik, { reason: ' ' });
    expect(bad.status).toBe(400);
    const html = decodeHtml(await bad.text());
    expect(html).toContain('Indica un motivo');
    expect(html).toContain(`id="revoke-${award.id}`);
    expect((await sello.db.query<{ state: string }>('SELECT state FROM awards WHERE id = $1', [award.id])).rows[0]!.state).not.toMatch(/^revok/);
    const json = (path: string, fields: Record<string, string>) =>
      fetch(`${sello.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ ...ltiFormFields(teacherLtik), ...fields }).toString(),
      });
    for (const path of ['/app/awards/00000000-0000-4000-8000-000000000000/revoke', '/app/awards/not-an-id/revoke']) {
      const unknown = await json(path, { reason: 'Plagio' });
      expect(unknown.status, path).toBe(404);
      expect(((await unknown.json()) as { code: string }).code).toBe('award_not_found');
    }
    for (const action of ['archive', 'unarchive']) {
      const unknown = await json(`/app/achievements/00000000-0000-4000-8000-000000000000/${action}`, {});
      expect(unknown.status, action).toBe(404);
      expect(((await unknown.json()) as { code: string }).code).toBe('achievement_not_found');
    }
  });

  it('answers 404 for an achievement of another course and refuses learners', async () => {
    const other = await fetch(`${sello.url}/app/achievements/00000000-0000-4000-8000-000000000000/edit?ltik=${teacherLtik}`, { headers: { accept: 'application/json' } });
    expect(other.status).toBe(404);
    expect(((await other.json()) as { code: string }).code).toBe('achievement_not_found');
    const learner = await fetch(`${sello.url}/app/achievements/new?ltik=${learnerLtik}`);
    expect(learner.status).toBe(403);
  });
});
