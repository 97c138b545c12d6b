/**
 * The earners page of an achievement, reached by real LTI launches from the sandbox LMS:
 * learners with progress and state, award by hand (learners only), revoke with a reason,
 * retry of a waiting job, and the CSV export.
 */
import { ltiFormFields } from '../support/form-token.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxLms, ROLE, type Sandbox, type ToolRegistration } from '../../src/sandbox-lms/index.ts';
import { decodeHtml } from '../support/sandbox-lms/browser.ts';
import { launchLtik, registerSello } from '../support/sandbox-lms/launch.ts';
import { startSelloWithPages, type SelloWithPages } from '../support/issuance/sello-with-pages.ts';
import { createPlatformRepository } from '../../src/storage/platform-repository.ts';
import { createOutcomeRepository } from '../../src/storage/outcome-repository.ts';
import { createAchievementRepository, type Achievement } from '../../src/storage/achievement-repository.ts';
import { createAwardRepository } from '../../src/storage/award-repository.ts';
import { createJobRepository } from '../../src/storage/job-repository.ts';
import { ingestOutcomes } from '../../src/outcomes/ingest-outcomes.ts';

describe('earners of an achievement', () => {
  let lms: Sandbox;
  let sello: SelloWithPages;
  let registration: ToolRegistration;
  let teacherLtik: string;
  let learnerLtik: string;
  let achievement: Achievement;
  let contextId: string;
  const ids: Record<string, string> = {};

  const launch = (sub: string) => launchLtik(lms, registration, sub, 'course-e');
  const post = (path: string, fields: Record<string, string>, ltik = teacherLtik) =>
    fetch(`${sello.url}/app/achievements/${achievement.id}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ ...ltiFormFields(ltik), ...fields }).toString(),
    });
  const page = async (ltik = teacherLtik) => decodeHtml(await (await fetch(`${sello.url}/app/achievements/${achievement.id}/earners?ltik=${ltik}`)).text());
  const awardOf = (sub: string) => createAwardRepository(sello.db).find(achievement.id, ids[sub]!);

  beforeAll(async () => {
    lms = await startSandboxLms({ productFamily: 'moodle' });
    sello = await startSelloWithPages();
    lms.addUser({ sub: 'prof', name: 'Profesora Ruiz', locale: 'es' });
    lms.addUser({ sub: 'eva', name: 'Eva Estudiante', email: 'eva@uni.example', locale: 'es' });
    lms.addUser({ sub: 'leo', name: 'Leo "El Rápido"', email: 'leo@uni.example', locale: 'es' });
    lms.addUser({ sub: 'mal', name: '=HYPERLINK("https://evil.example","click")', email: 'mal@uni.example', locale: 'es' });
    lms.addCourse({ id: 'course-e', title: 'Física' });
    lms.enroll('course-e', 'prof', [ROLE.instructor]);
    for (const sub of ['eva', 'leo', 'mal']) lms.enroll('course-e', sub, [ROLE.learner]);
    registration = await registerSello(lms, sello.url);
    const platform = (await createPlatformRepository(sello.db).findByIssuerAndClient(lms.issuer, registration.clientId))!;
    teacherLtik = await launch('prof');
    learnerLtik = await launch('eva');
    await launch('leo');
    await launch('mal');
    contextId = (await createOutcomeRepository(sello.db).findContextByLmsId(platform.id, 'course-e'))!.id;
    for (const { id, sub } of (await sello.db.query<{ id: string; sub: string }>('SELECT id, sub FROM users')).rows) ids[sub] = id;
    await ingestOutcomes({
      db: sello.db,
      events: [
        { platform: platform.id, context: 'course-e', learner: 'eva', activity: 'lab1', activityName: 'Laboratorio 1', score: 92, max: 100, completed: null, at: new Date(), source: 'webhook' },
        { platform: platform.id, context: 'course-e', learner: 'leo', activity: 'lab1', activityName: 'Laboratorio 1', score: 40, max: 100, completed: null, at: new Date(), source: 'webhook' },
      ],
    });
    achievement = await createAchievementRepository(sello.db).create({
      issuerId: platform.issuerId,
      contextId,
      name: 'Óptica <básica>',
      criteria: { kind: 'all', rules: [{ kind: 'score', activity: 'lab1', minPercent: 80 }] },
    });
  }, 120_000);
  afterAll(async () => {
    await sello?.close();
    await lms?.close();
  });

  it('lists the learners (never the instructor) with their progress, in Spanish, linked from the course home', async () => {
    const home = decodeHtml(await (await fetch(`${sello.url}/app/instructor?ltik=${teacherLtik}`)).text());
    expect(home).toContain(`/app/achievements/${achievement.id}/earners?ltik=`);
    const html = await page();
    expect(html).toContain('Estudiantes y la insignia «Óptica <básica>»');
    expect(html).toContain('Eva Estudiante');
    expect(html).toContain('Leo "El Rápido"');
    expect(html).not.toContain('Profesora Ruiz');
    expect(html).toContain('Laboratorio 1: 92%');
    expect(html).toContain('Laboratorio 1: 40%');
    expect(html).toContain('Cumple los criterios');
    expect(html).toContain('En curso');
    expect(html).not.toMatch(/earners\.(?!csv\?)[a-z]+\.[a-z]/);
    const raw = await (await fetch(`${sello.url}/app/achievements/${achievement.id}/earners?ltik=${teacherLtik}`)).text();
    expect(raw).toContain('Óptica &lt;básica&gt;');
    expect(raw).not.toContain('<básica>');
  });

  it('refuses to award an instructor, someone outside the course, or without a reason; awards a learner', async () => {
    const instructor = await post('/earners/award', { userId: ids.prof!, reason: 'Buen trabajo' });
    expect(instructor.status).toBe(400);
    expect(decodeHtml(await instructor.text())).toContain('Los docentes del curso no pueden recibir sus insignias a mano');
    const stranger = await post('/earners/award', { userId: '00000000-0000-4000-8000-000000000000', reason: 'Buen trabajo' });
    expect(stranger.status).toBe(400);
    expect(decodeHtml(await stranger.text())).toContain('Elige un estudiante de este curso.');
    const noReason = await post('/earners/award', { userId: ids.eva!, reason: ' ' });
    expect(noReason.status).toBe(400);
    expect(decodeHtml(await noReason.text())).toContain('Indica un motivo de al menos 3 caracteres para otorgarla');
    expect(await awardOf('prof')).toBeNull();
    expect(await awardOf('eva')).toBeNull();
    const good = await post('/earners/award', { userId: ids.eva!, reason: 'Práctica presencial' });
    expect(good.status).toBe(303);
    expect(await awardOf('eva')).toMatchObject({ state: 'awarded', origin: 'manual', reason: 'Práctica presencial' });
    const html = decodeHtml(await (await fetch(`${sello.url}${good.headers.get('location')}`)).text());
    expect(html).toContain('Otorgada. La credencial se está emitiendo.');
    expect(html).toContain('Emitiéndose');
    const again = await post('/earners/award', { userId: ids.eva!, reason: 'Otra vez' });
    expect(again.status).toBe(409);
  });

  it('refuses to revoke without a reason, next to that learner; revokes with one', async () => {
    const award = (await awardOf('eva'))!;
    const bad = await post('/earners/revoke', { awardId: award.id, reason: '' });
    expect(bad.status).toBe(400);
    const html = decodeHtml(await bad.text());
    expect(html).toContain(`id="revoke-${award.id}-error"`);
    expect(html).toContain('Indica un motivo de al menos 3 caracteres para revocarla');
    expect((await awardOf('eva'))!.state).toBe('awarded');
    const unknown = await post('/earners/revoke', { awardId: '00000000-0000-4000-8000-000000000000', reason: 'Plagio' }, teacherLtik);
    expect(unknown.status).toBe(404);
    const good = await post('/earners/revoke', { awardId: award.id, reason: 'Plagio en el informe' });
    expect(good.status).toBe(303);
    expect((await awardOf('eva'))!).toMatchObject({ state: 'revoking', revokeReason: 'Plagio en el informe' });
    const after = await page();
    expect(after).toContain('Revocándose');
    expect(after).toContain('Motivo: Plagio en el informe');
    const twice = await post('/earners/revoke', { awardId: award.id, reason: 'Otra vez' });
    expect(twice.status).toBe(409);
  });

  it('shows a waiting job with its reason and retries it, only when it is this badge’s', async () => {
    expect((await post('/earners/award', { userId: ids.leo!, reason: 'Recuperación oral' })).status).toBe(303);
    const award = (await awardOf('leo'))!;
    const jobs = createJobRepository(sello.db);
    const claimed = await jobs.claim({ workerId: 'test', limit: 50, leaseMs: 60_000 });
    const job = claimed.find((candidate) => candidate.kind === 'advance_award' && candidate.key === award.id)!;
    await jobs.fail({ id: job.id, workerId: 'test', error: 'no email', delayMs: 0, park: true, reason: 'recipient_unreachable' });
    const html = await page();
    expect(html).toContain('En espera');
    expect(html).toContain('a la espera del correo del estudiante');
    expect(html).toContain(`name="jobId" value="${job.id}"`);
    const foreign = await post('/earners/retry', { jobId: String(job.id + 100_000) });
    expect(foreign.status).toBe(400);
    expect(decodeHtml(await foreign.text())).toContain('Esa tarea en espera no es de esta insignia');
    const garbage = await post('/earners/retry', { jobId: '1; DROP TABLE awards' });
    expect(garbage.status).toBe(400);
    const retried = await post('/earners/retry', { jobId: String(job.id) });
    expect(retried.status).toBe(303);
    const { rows } = await sello.db.query<{ state: string }>('SELECT state FROM issuance_jobs WHERE id = $1 OR (kind = $2 AND key = $3)', [job.id, 'advance_award', award.id]);
    expect(rows.map((row) => row.state)).toContain('queued');
    expect(rows.map((row) => row.state)).not.toContain('failed');
  });

  it('exports a CSV with proper quoting and formula cells neutralised', async () => {
    const res = await fetch(`${sello.url}/app/achievements/${achievement.id}/earners.csv?ltik=${teacherLtik}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="earners-/);
    const text = (await res.text()).replace(/^\ufeff/, '');
    const lines = text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('"Estudiante","Correo","Estado","Detalle","Progreso","Otorgada el","Credencial"');
    expect(lines).toHaveLength(4);
    expect(text).toContain('"Leo ""El Rápido"""');
    expect(text).toContain(`"'=HYPERLINK(""https://evil.example"",""click"")"`);
    expect(text).not.toMatch(/(^|,)"=/m);
    expect(text).toContain('Revocándose');
    expect(text).not.toContain('Profesora Ruiz');
  });

  it('refuses learners and achievements of other courses', async () => {
    expect((await fetch(`${sello.url}/app/achievements/${achievement.id}/earners?ltik=${learnerLtik}`)).status).toBe(403);
    expect((await fetch(`${sello.url}/app/achievements/${achievement.id}/earners.csv?ltik=${learnerLtik}`)).status).toBe(403);
    expect((await post('/earners/award', { userId: ids.mal!, reason: 'Yo mismo' }, learnerLtik)).status).toBe(403);
    const other = await fetch(`${sello.url}/app/achievements/00000000-0000-4000-8000-000000000000/earners?ltik=${teacherLtik}`, { headers: { accept: 'application/json' } });
    expect(other.status).toBe(404);
    expect(((await other.json()) as { code: string }).code).toBe('achievement_not_found');
    expect(await awardOf('mal')).toBeNull();
  });
});
