/**
 * Issue 12 item 9: the `achievement.id` every credential names answers, as a page in
 * English and Spanish and as the OB 3.0 Achievement in JSON.
 */
import request from 'supertest';
import jsonld from 'jsonld';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, makeCredentialsApp } from './credentials-fixture.ts';
import { buildApp } from '../../src/web/app.ts';
import { credentialsRouter } from '../../src/web/credentials.ts';
import { achievementPublicRouter } from '../../src/web/public/achievement-public.ts';
import { createPageRenderer } from '../../src/web/views.ts';
import { createAchievementRepository } from '../../src/storage/achievement-repository.ts';
import { createDocumentLoader } from '../../src/credentials/document-loader.ts';
import { createLogger } from '../../src/logger.ts';
import { VERSION } from '../../src/version.ts';
import { testSecrets } from '../support/config.ts';

describe('the public achievement page', () => {
  let t: Awaited<ReturnType<typeof makeCredentialsApp>>;
  let app: ReturnType<typeof buildApp>;
  let achievementUrl: URL;
  let inCredential: Record<string, unknown>;

  beforeAll(async () => {
    t = await makeCredentialsApp();
    app = buildApp({
      config: t.config,
      db: t.db,
      log: createLogger({ level: 'silent' }),
      secrets: testSecrets(t.config),
      version: VERSION,
      routers: [credentialsRouter(t.deps), achievementPublicRouter({ db: t.db, pages: createPageRenderer(), publicUrl: t.config.publicUrl, keys: t.keys })],
    });
    const issued = await request(app)
      .post('/credentials/issue')
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ credential: {}, options: { achievementId: t.achievement.id, recipient: { email: 'ana@example.edu', name: 'Ana Pérez' } } })
      .expect(201);
    inCredential = issued.body.verifiableCredential.credentialSubject.achievement;
    achievementUrl = new URL(String(inCredential.id));
  });
  afterAll(() => t.close());

  it('answers the achievement id a credential names with its page: name, image, description, criteria, issuer, alignments', async () => {
    expect(achievementUrl.pathname).toBe(`/achievements/${t.achievement.id}`);
    const page = await request(app).get(`${achievementUrl.pathname}?lang=en`).set('accept', 'text/html').expect(200);
    expect(page.type).toBe('text/html');
    expect(page.text).toContain('<h1>Python Basics</h1>');
    expect(page.text).toContain('Completed the Python basics module.');
    expect(page.text).toContain('Score 80% or more in every quiz.');
    expect(page.text).toContain('Universidad de Ejemplo');
    expect(page.text).toContain('href="https://uni.example/competencies/programming"');
    expect(page.text).toContain(`src="${achievementUrl.href}/image.svg"`);
    const svg = await request(app).get(`${achievementUrl.pathname}/image.svg`).expect(200);
    expect(svg.type).toBe('image/svg+xml');
  });

  it('speaks Spanish, criteria included', async () => {
    const page = await request(app).get(`${achievementUrl.pathname}?lang=es`).expect(200);
    expect(page.text).toContain('<html lang="es">');
    expect(page.text).toContain('Obtener 80% o más en cada prueba.');
    expect(page.text).toContain('Alineado con');
    // Its type is a word of the page too, not the OB 3.0 value.
    expect(page.text).toContain('Tipo: Insignia</p>');
  });

  it('gives the OB 3.0 Achievement as JSON for Accept: application/json and for .json, the same as in the credential', async () => {
    const byAccept = await request(app).get(achievementUrl.pathname).set('accept', 'application/json').expect(200);
    const byFile = await request(app).get(`${achievementUrl.pathname}.json`).expect(200);
    expect(byFile.type).toBe('application/ld+json');
    const doc = JSON.parse(byFile.text);
    expect(JSON.parse(byAccept.text)).toEqual(doc);
    expect(doc).toMatchObject({
      id: inCredential.id,
      type: ['Achievement'],
      name: inCredential.name,
      description: inCredential.description,
      criteria: { narrative: (inCredential.criteria as { narrative: string }).narrative },
      alignment: [{ type: ['Alignment'], targetName: 'Programming', targetUrl: 'https://uni.example/competencies/programming' }],
      creator: { type: ['Profile'], name: 'Universidad de Ejemplo' },
    });
    expect(doc.creator.id).toBe((await t.keys.issuerDid(t.issuer)));
    // Every term is defined by the OB 3.0 context (safe mode refuses dropped terms).
    const expanded = await jsonld.expand(doc, { documentLoader: createDocumentLoader(), safe: true } as never);
    expect(expanded).toHaveLength(1);
  });

  it('answers 404 with a code for an unknown id or a draft the LMS never saved', async () => {
    const missing = await request(app).get('/achievements/00000000-0000-4000-8000-000000000000').set('accept', 'application/json').expect(404);
    expect(missing.body.code).toBe('not_found');
    await request(app).get('/achievements/not-a-uuid.json').expect(404);
    const draft = await createAchievementRepository(t.db).createDraft({ issuerId: t.issuer.id, name: 'Borrador' });
    await request(app).get(`/achievements/${draft.id}`).set('accept', 'text/html').expect(404);
  });
});
