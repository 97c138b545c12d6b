/**
 * Issue 13, instructor: the achievement editor as a form (criteria builder, OB 3.0 fields),
 * the course home with states and archive, and the return to the LMS after saving from a
 * Deep Linking launch. Reached by real LTI launches from the sandbox LMS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxLms, ROLE, type Sandbox, type ToolRegistration } from '../../src/sandbox-lms/index.ts';
import { createBrowser, decodeHtml, parseForm } from '../support/sandbox-lms/browser.ts';
import { startSelloWithPages, type SelloWithPages } from '../support/issuance/sello-with-pages.ts';
import { testKek } from '../support/config.ts';
import { ltiFormFields } from '../support/form-token.ts';
import { createPlatformRepository } from '../../src/storage/platform-repository.ts';
import { createOutcomeRepository } from '../../src/storage/outcome-repository.ts';
import { createAchievementRepository, type Achievement } from '../../src/storage/achievement-repository.ts';
import { ingestOutcomes } from '../../src/outcomes/ingest-outcomes.ts';
import { issueCredential } from '../../src/issuance/issue-credential.ts';
import { createIssuerKeyProvider } from '../../src/issuance/issuer-keys.ts';
import { validateOb3Schema } from '../../src/credentials/schema.ts';

describe('achievement editor: builder, fields, course home, Deep Linking return', () => {
  let lms: Sandbox;
  let sello: SelloWithPages;
  let registration: ToolRegistration;
  let ltikEs: string;
  let ltikEn: string;
  let contextId: string;
  let quiz: string;
  let essay: string;

  const launch = async (sub: string, messageType?: 'LtiDeepLinkingRequest') => {
    const browser = createBrowser();
    const page = await browser.submit(await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: sub, courseId: 'course-b', ...(messageType ? { messageType } : {}) }).url));
    return new URL(page.url).searchParams.get('ltik')!;
  };
  const post = (path: string, ltik: string, fields: Record<string, string>) =>
    fetch(`${sello.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ ...ltiFormFields(ltik), ...fields }).toString(),
    });
  const get = async (path: string, ltik: string) => decodeHtml(await (await fetch(`${sello.url}${path}${path.includes('?') ? '&' : '?'}ltik=${encodeURIComponent(ltik)}`)).text());
  const achievements = () => createAchievementRepository(sello.db);
  const named = async (name: string) => (await sello.db.query<{ id: string }>('SELECT id FROM achievements WHERE name = $1', [name])).rows;
  /** The builder's fields of a form with one score rule; `extra` overrides or adds. */
  const builderForm = (extra: Record<string, string> = {}) => ({
    name: 'Estadística aplicada',
    combine: 'all',
    'rule-0-kind': 'score',
    'rule-0-activity': quiz,
    'rule-0-threshold': '80',
    'rule-0-unit': 'percent',
    'rule-1-kind': '',
    'alignment-0-name': '',
    'alignment-0-url': '',
    validity: 'none',
    ...extra,
  });

  beforeAll(async () => {
    lms = await startSandboxLms({ productFamily: 'moodle' });
    sello = await startSelloWithPages();
    lms.addUser({ sub: 'prof', name: 'Profesora', locale: 'es' });
    lms.addUser({ sub: 'teacher', name: 'Teacher', locale: 'en' });
    lms.addUser({ sub: 'eva', name: 'Eva', email: 'eva@uni.example', locale: 'es' });
    lms.addCourse({ id: 'course-b', title: 'Estadística' });
    lms.enroll('course-b', 'prof', [ROLE.instructor]);
    lms.enroll('course-b', 'teacher', [ROLE.instructor]);
    lms.enroll('course-b', 'eva', [ROLE.learner]);
    await createBrowser().get(`${sello.url}/lti/register?openid_configuration=${encodeURIComponent(lms.openIdConfigurationUrl())}&registration_token=${lms.newRegistrationToken()}`);
    registration = [...lms.registrations.values()][0]!;
    const platformId = (await createPlatformRepository(sello.db).findByIssuerAndClient(lms.issuer, registration.clientId))!.id;
    ltikEs = await launch('prof');
    ltikEn = await launch('teacher');
    contextId = (await createOutcomeRepository(sello.db).findContextByLmsId(platformId, 'course-b'))!.id;
    await ingestOutcomes({
      db: sello.db,
      events: [
        { platform: platformId, context: 'course-b', learner: 'eva', activity: 'quiz-1', activityName: 'Quiz 1', score: 9, max: 10, completed: null, at: new Date(), source: 'webhook' },
        { platform: platformId, context: 'course-b', learner: 'eva', activity: 'essay-1', activityName: 'Ensayo final', score: null, max: null, completed: true, at: new Date(), source: 'webhook' },
      ],
    });
    quiz = 'quiz-1';
    essay = 'essay-1';
  }, 120_000);
  afterAll(async () => {
    await sello?.close();
    await lms?.close();
  });

  it('offers the course activities by name in a labelled builder, with a preview in words', async () => {
    const html = await get('/app/achievements/new', ltikEn);
    expect(html).toContain('<legend>Rule 1</legend>');
    expect(html).toContain('<label for="rule-0-kind">Kind of rule</label>');
    expect(html).toMatch(/<option value="quiz-1" selected>Quiz 1 \(out of 10\)<\/option>/);
    expect(html).toContain('<option value="essay-1">Ensayo final</option>');
    expect(html).toContain('<legend>Learners earn the badge when they meet</legend>');
    expect(html).toMatch(/<div id="criteria-preview"[^>]*>All of the following:\n- Score at least 80% in Quiz 1<\/div>/);
    expect(html).toContain('<summary>Advanced: the criteria as JSON</summary>');
    expect(html).toContain('<script src="/static/js/achievement-builder.js" defer></script>');
    const script = await fetch(`${sello.url}/static/js/achievement-builder.js`);
    expect(script.status).toBe(200);
    expect(await script.text()).toContain('/app/achievements/preview');
  });

  it('turns the builder rows into criteria, with narratives in both languages', async () => {
    const res = await post('/app/achievements/new', ltikEs, {
      ...builderForm({ name: 'Constancia' }),
      combine: 'at_least',
      'combine-count': '2',
      'rule-1-kind': 'completed',
      'rule-1-activity': essay,
      'rule-2-kind': 'score',
      'rule-2-activity': quiz,
      'rule-2-threshold': '7,5',
      'rule-2-unit': 'points',
      'rule-3-kind': 'dates',
      'rule-3-until': '2026-12-31',
      'rule-4-kind': 'course_grade',
      'rule-4-threshold': '60',
    });
    expect(res.status).toBe(303);
    const [{ id }] = await named('Constancia');
    const stored = (await achievements().findById(id!))!;
    expect(stored.criteria).toEqual({
      kind: 'at_least',
      count: 2,
      rules: [
        { kind: 'score', activity: 'quiz-1', minPercent: 80 },
        { kind: 'completed', activity: 'essay-1' },
        { kind: 'score', activity: 'quiz-1', minPoints: 7.5 },
        { kind: 'between', until: '2026-12-31T23:59:59Z' },
        { kind: 'course_grade', minPercent: 60 },
      ],
    });
    expect(stored.criteriaNarrative.es).toBe(
      'Al menos 2 de lo siguiente:\n- Obtener al menos 80% en Quiz 1\n- Completar Ensayo final\n- Obtener al menos 7.5 puntos en Quiz 1\n- Hasta 2026-12-31\n- Alcanzar una calificación del curso de al menos 60%',
    );
    expect(stored.criteriaNarrative.en).toContain('At least 2 of the following:');
    // Edited again, the rows come back as they were saved, and the JSON is there under "Advanced".
    const edit = await get(`/app/achievements/${id}/edit`, ltikEs);
    expect(edit).toMatch(/<input type="radio" class="check" name="combine" id="combine-at_least" value="at_least" checked>/);
    expect(edit).toContain('id="rule-3-until" name="rule-3-until" value="2026-12-31"');
    expect(edit).toContain('"minPoints": 7.5');
  });

  it('answers the live preview in the page language with the criteria JSON', async () => {
    const res = await fetch(`${sello.url}/app/achievements/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${ltikEs}` },
      body: new URLSearchParams(builderForm({ combine: 'any', 'rule-1-kind': 'completed', 'rule-1-activity': essay })).toString(),
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { narrative: string; criteria: string; problems: unknown[] };
    expect(answer.narrative).toBe('Cualquiera de lo siguiente:\n- Obtener al menos 80% en Quiz 1\n- Completar Ensayo final');
    expect(JSON.parse(answer.criteria)).toEqual({ kind: 'any', rules: [{ kind: 'score', activity: 'quiz-1', minPercent: 80 }, { kind: 'completed', activity: 'essay-1' }] });
    const bad = await fetch(`${sello.url}/app/achievements/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${ltikEn}` },
      body: new URLSearchParams(builderForm({ 'rule-0-threshold': '' })).toString(),
    });
    expect(await bad.json()).toEqual({ narrative: null, criteria: null, problems: [{ field: 'rule-0-threshold', message: 'Enter the score needed.' }] });
  });

  const invalidForm = () =>
    builderForm({
      name: '',
      'achievement-type': 'Spaceship',
      tags: 'x'.repeat(61),
      combine: 'at_least',
      'combine-count': '9',
      'rule-0-activity': '',
      'rule-0-threshold': '150',
      'rule-1-kind': 'dates',
      'rule-1-from': '2026-05-01',
      'rule-1-until': '2026-04-01',
      'rule-2-kind': 'score',
      'rule-2-activity': 'no-such-activity',
      'rule-2-threshold': 'mucho',
      'alignment-0-name': 'Pensamiento estadístico',
      'alignment-0-url': 'javascript:alert(1)',
      'alignment-1-name': '',
      'alignment-1-code': 'E-1',
      'alignment-1-url': '',
      validity: 'months',
      'valid-months': '0',
    });

  it.each([
    [
      'en',
      () => ltikEn,
      [
        ['name', 'Give the achievement a name (at most 200 characters).'],
        ['achievement-type', 'Choose a type of achievement from the list.'],
        ['tags', 'Each tag can have at most 60 characters.'],
        ['alignment-0-url', 'Enter a full web address starting with https:// or http://.'],
        ['alignment-1-name', 'Give the competency or standard a name (at most 200 characters).'],
        ['alignment-1-url', 'Add the web address (URL) of the competency or standard.'],
        ['valid-months', 'Enter a whole number of months between 1 and 600, or choose "Never expires".'],
        ['rule-0-activity', 'Choose the activity this rule is about.'],
        ['rule-0-threshold', 'A percentage must be between 0 and 100.'],
        ['rule-1-until', 'The end date must not be before the start date.'],
        ['rule-2-activity', 'This course has no activity "no-such-activity" any more: choose one from the list.'],
        ['rule-2-threshold', 'Enter the score needed as a number, for example 80.'],
        ['combine-count', 'For "at least", enter a whole number from 1 to 3 (the number of rules).'],
      ],
    ],
    [
      'es',
      () => ltikEs,
      [
        ['name', 'Dale un nombre al logro (200 caracteres como máximo).'],
        ['achievement-type', 'Elige un tipo de logro de la lista.'],
        ['tags', 'Cada etiqueta puede tener como máximo 60 caracteres.'],
        ['alignment-0-url', 'Escribe una dirección web completa que empiece por https:// o http://.'],
        ['alignment-1-name', 'Dale un nombre a la competencia o al estándar (200 caracteres como máximo).'],
        ['alignment-1-url', 'Añade la dirección web (URL) de la competencia o del estándar.'],
        ['valid-months', 'Escribe un número entero de meses entre 1 y 600, o elige "No caduca".'],
        ['rule-0-activity', 'Elige la actividad de esta regla.'],
        ['rule-0-threshold', 'Un porcentaje debe estar entre 0 y 100.'],
        ['rule-1-until', 'La fecha de fin no puede ser anterior a la de inicio.'],
        ['rule-2-activity', 'Este curso ya no tiene ninguna actividad "no-such-activity": elige una de la lista.'],
        ['rule-2-threshold', 'Escribe la calificación necesaria como número, por ejemplo 80.'],
        ['combine-count', 'Para "al menos", escribe un número entero de 1 a 3 (el número de reglas).'],
      ],
    ],
  ] as const)('shows each problem next to its field, in plain %s, keeps what was typed and saves nothing', async (_locale, ltik, expected) => {
    const before = (await sello.db.query('SELECT id FROM achievements')).rows.length;
    const res = await post('/app/achievements/new', ltik(), invalidForm());
    expect(res.status).toBe(400);
    const html = decodeHtml(await res.text());
    for (const [field, message] of expected) {
      // The message sits under its field, which points at it, and the summary links to the field.
      expect(html).toContain(`<p class="field-error" id="${field}-error">${message}</p>`);
      expect(html).toMatch(new RegExp(`id="${field}"[^>]*aria-invalid="true"`));
      expect(html).toMatch(new RegExp(`id="${field}"[^>]*aria-describedby="[^"]*${field}-error"`));
      expect(html).toContain(`<li><a href="#${field}">${message}</a></li>`);
    }
    expect(html).not.toMatch(/rules\.\d|: Required|minPercent:/);
    expect(html).toContain('value="Pensamiento estadístico"');
    expect(html).toContain('value="mucho"');
    expect((await sello.db.query('SELECT id FROM achievements')).rows.length).toBe(before);
  });

  it('asks for a rule when none is chosen, and explains JSON problems in words (en and es)', async () => {
    const none = await post('/app/achievements/new', ltikEn, builderForm({ 'rule-0-kind': '' }));
    expect(none.status).toBe(400);
    expect(decodeHtml(await none.text())).toContain('<p class="field-error" id="rule-0-kind-error">Add at least one rule: choose a kind of rule for rule 1.</p>');
    const nested = JSON.stringify({ kind: 'all', rules: [{ kind: 'any', rules: [{ kind: 'score', activity: 'Quiz 1' }] }, { kind: 'completed', activity: 'Tesis' }] });
    for (const [ltik, words] of [
      [ltikEn, ['Rule 1 › 1: give the percentage needed', '<p class="field-error" id="criteria-error">']],
      [ltikEs, ['Regla 1 › 1: indica el porcentaje necesario']],
    ] as const) {
      const res = await post('/app/achievements/new', ltik, builderForm({ 'use-json': '1', criteria: nested }));
      expect(res.status).toBe(400);
      const html = decodeHtml(await res.text());
      for (const word of words) expect(html).toContain(word);
      expect(html).toContain('<details class="advanced" id="criteria-advanced" open>');
    }
    const unknown = await post('/app/achievements/new', ltikEs, builderForm({ 'use-json': '1', criteria: JSON.stringify({ kind: 'all', rules: [{ kind: 'completed', activity: 'Tesis' }] }) }));
    expect(decodeHtml(await unknown.text())).toContain('Regla 1: este curso no tiene ninguna actividad "Tesis". Indica una de sus actividades: Ensayo final, Quiz 1.');
    const broken = await post('/app/achievements/new', ltikEs, builderForm({ 'use-json': '1', criteria: '{' }));
    expect(decodeHtml(await broken.text())).toContain('<p class="field-error" id="criteria-error">Los criterios no son JSON válido.</p>');
  });

  it('saves JSON criteria the builder cannot show, and says so when they are edited again', async () => {
    const nested = { kind: 'all', rules: [{ kind: 'any', rules: [{ kind: 'score', activity: 'Quiz 1', minPercent: 50 }, { kind: 'completed', activity: 'Ensayo final' }] }] };
    const res = await post('/app/achievements/new', ltikEn, builderForm({ name: 'Anidado', 'use-json': '1', criteria: JSON.stringify(nested) }));
    expect(res.status).toBe(303);
    const [{ id }] = await named('Anidado');
    expect((await achievements().findById(id!))!.criteria).toEqual({
      kind: 'all',
      rules: [{ kind: 'any', rules: [{ kind: 'score', activity: 'quiz-1', minPercent: 50 }, { kind: 'completed', activity: 'essay-1' }] }],
    });
    const edit = await get(`/app/achievements/${id}/edit`, ltikEn);
    expect(edit).toContain('id="builder-unfit"');
    expect(edit).toContain('<input type="checkbox" class="check" name="use-json" id="use-json" value="1" checked>');
  });

  it('adds empty rows without JavaScript and saves nothing', async () => {
    const res = await post('/app/achievements/new', ltikEn, builderForm({ name: 'Más filas', more: 'rules' }));
    expect(res.status).toBe(200);
    const html = decodeHtml(await res.text());
    expect(html).toContain('id="rule-4-kind"');
    expect(html).not.toContain('field-error');
    const alignments = decodeHtml(await (await post('/app/achievements/new', ltikEn, builderForm({ more: 'alignments' }))).text());
    expect(alignments).toContain('id="alignment-3-url"');
    expect(await named('Más filas')).toEqual([]);
  });

  it('carries type, tags, alignments, language and validity into an issued credential that passes the OB 3.0 schema', async () => {
    const res = await post(
      '/app/achievements/new',
      ltikEs,
      builderForm({
        name: 'Analista de datos',
        description: 'Analiza datos reales',
        'achievement-type': 'MicroCredential',
        tags: 'estadística, datos',
        'in-language': 'es',
        'alignment-0-name': 'Análisis de datos',
        'alignment-0-framework': 'ESCO',
        'alignment-0-code': 'S2.1',
        'alignment-0-url': 'https://esco.example/s2.1',
        'alignment-1-name': 'Comunicación',
        'alignment-1-url': 'https://marco.example/com',
        validity: 'months',
        'valid-months': '12',
      }),
    );
    expect(res.status).toBe(303);
    const [{ id }] = await named('Analista de datos');
    const achievement = (await achievements().findById(id!)) as Achievement;
    expect(achievement).toMatchObject({ achievementType: 'MicroCredential', tags: ['estadística', 'datos'], inLanguage: 'es', validForMonths: 12 });
    const validFrom = new Date('2026-01-31T12:00:00Z');
    const credential = await issueCredential({
      db: sello.db,
      keys: createIssuerKeyProvider({ db: sello.db, kek: testKek, publicUrl: sello.url }),
      publicUrl: sello.url,
      chainReference: null,
      issuerId: achievement.issuerId,
      achievement,
      recipient: { email: 'eva@uni.example', name: 'Eva', did: null },
      validFrom,
    });
    const document = credential.document as Record<string, unknown> & { credentialSubject: { achievement: Record<string, unknown> } };
    expect(document.validUntil).toBe('2027-01-31T12:00:00Z');
    expect(document.credentialSubject.achievement).toMatchObject({
      achievementType: 'MicroCredential',
      tag: ['estadística', 'datos'],
      inLanguage: 'es',
      alignment: [
        { type: ['Alignment'], targetName: 'Análisis de datos', targetUrl: 'https://esco.example/s2.1', targetFramework: 'ESCO', targetCode: 'S2.1' },
        { type: ['Alignment'], targetName: 'Comunicación', targetUrl: 'https://marco.example/com' },
      ],
      criteria: { narrative: 'Todo lo siguiente:\n- Obtener al menos 80% en Quiz 1' },
    });
    expect(validateOb3Schema(document)).toMatchObject({ valid: true });
    // Edited again, the fields come back as saved.
    const edit = await get(`/app/achievements/${id}/edit`, ltikEs);
    expect(edit).toContain('<option value="MicroCredential" selected>Microcredencial</option>');
    expect(edit).toContain('id="alignment-1-url" name="alignment-1-url" value="https://marco.example/com"');
    expect(edit).toContain('id="valid-months" name="valid-months" value="12"');
    expect(edit).toContain('value="estadística, datos"');
  });

  it('lists the course achievements with their state, archives and restores them', async () => {
    const [{ id }] = await named('Constancia');
    const home = await get('/app/instructor', ltikEs);
    expect(home).toMatch(new RegExp(`<li class="achievement-item" id="achievement-${id}" data-state="active">`));
    expect(home).toContain('<span class="state state-active">Activo</span>');
    const archived = await post(`/app/achievements/${id}/archive`, ltikEs, {});
    expect(archived.status).toBe(303);
    const after = decodeHtml(await (await fetch(`${sello.url}${archived.headers.get('location')}`)).text());
    expect(after).toContain('"Constancia" está archivado');
    expect(after).toMatch(/<details class="archived-list" id="archived">[\s\S]*data-state="archived"[\s\S]*Constancia/);
    expect((await achievements().listForContext(contextId)).map((a) => a.name)).not.toContain('Constancia');
    const restored = await post(`/app/achievements/${id}/unarchive`, ltikEs, {});
    expect(restored.status).toBe(303);
    expect((await achievements().listForContext(contextId)).map((a) => a.name)).toContain('Constancia');
    // A learner cannot; nor can another course's instructor reach it.
    const learner = await launch('eva');
    expect((await post(`/app/achievements/${id}/archive`, learner, {})).status).toBe(403);
    expect((await achievements().findById(id!))!.archivedAt).toBeNull();
  });

  it('shows a draft (no criteria yet) as such on the course home', async () => {
    const platform = await sello.db.query<{ issuer_id: string }>('SELECT issuer_id FROM platforms LIMIT 1');
    await achievements().create({ issuerId: platform.rows[0]!.issuer_id, contextId, name: 'Sin reglas' });
    const home = await get('/app/instructor', ltikEn);
    expect(home).toMatch(/data-state="draft">\s*<h3>Sin reglas<\/h3>/);
    expect(home).toContain('No criteria yet: nobody can earn it until you add rules.');
  });

  it('escapes an achievement named <script> on the editor and the course home', async () => {
    const res = await post('/app/achievements/new', ltikEn, builderForm({ name: '<script>alert(1)</script>', tags: '<b>x</b>' }));
    expect(res.status).toBe(303);
    const [{ id }] = await named('<script>alert(1)</script>');
    for (const path of [`/app/achievements/${id}/edit`, '/app/instructor']) {
      const raw = await (await fetch(`${sello.url}${path}?ltik=${encodeURIComponent(ltikEn)}`)).text();
      expect(raw).not.toContain('<script>alert(1)</script>');
      expect(raw).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(raw).not.toContain('<b>x</b>');
    }
  });

  it('returns to the LMS after saving when the editor was opened from Deep Linking', async () => {
    const ltik = await launch('teacher', 'LtiDeepLinkingRequest');
    const editor = await get('/app/achievements/new', ltik);
    expect(editor).toContain('<button type="submit" id="save">Save and add to the course</button>');
    const bad = await post('/app/achievements/new', ltik, builderForm({ name: '' }));
    expect(bad.status).toBe(400);
    const res = await post('/app/achievements/new', ltik, builderForm({ name: 'Desde el LMS' }));
    expect(res.status).toBe(200);
    const html = await res.text();
    const form = parseForm(html);
    expect(form.action).toBe(`${lms.url}/deep-link-return?course=course-b`);
    const browser = createBrowser();
    const page = await browser.submit({ url: `${sello.url}/app/achievements/new`, status: 200, headers: res.headers, text: html });
    expect(page.text).toContain('Content added');
    const item = lms.deepLinkReturns.at(-1)!.items[0]!;
    const [{ id }] = await named('Desde el LMS');
    expect(item).toMatchObject({ type: 'ltiResourceLink', title: 'Desde el LMS', custom: { achievement_id: id } });
    // Like one made in the picker: a draft until the LMS shows it saved the activity, with the builder's criteria.
    expect(await achievements().findById(id!)).toMatchObject({ confirmedAt: null, criteria: { kind: 'all', rules: [{ kind: 'score', activity: 'quiz-1', minPercent: 80 }] } });

    // Editing an existing achievement from Deep Linking attaches it on save too.
    const [{ id: existing }] = await named('Analista de datos');
    const again = await launch('teacher', 'LtiDeepLinkingRequest');
    const saved = await post(`/app/achievements/${existing}/edit`, again, builderForm({ name: 'Analista de datos' }));
    expect(saved.status).toBe(200);
    expect(parseForm(await saved.text()).action).toBe(`${lms.url}/deep-link-return?course=course-b`);
  });
});
