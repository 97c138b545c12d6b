/**
 * The learner's pages (LTI launch from the sandbox LMS): what they hold, what was taken
 * back, and what they share.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startSandboxLms, ROLE, type Sandbox, type ToolRegistration } from '../../src/sandbox-lms/index.ts';
import { createBrowser, decodeHtml } from '../support/sandbox-lms/browser.ts';
import { startSelloWithPages, type SelloWithPages } from '../support/issuance/sello-with-pages.ts';
import { createPlatformRepository } from '../../src/storage/platform-repository.ts';
import { createOutcomeRepository } from '../../src/storage/outcome-repository.ts';
import { createAchievementRepository } from '../../src/storage/achievement-repository.ts';
import { createAwardRepository } from '../../src/storage/award-repository.ts';
import { createUserRepository } from '../../src/storage/user-repository.ts';
import { createCredentialRepository } from '../../src/storage/credential-repository.ts';
import { createIssuerRepository, DEFAULT_ISSUER_SLUG } from '../../src/storage/issuer-repository.ts';
import { createStatusListRepository } from '../../src/storage/status-list-repository.ts';
import { setCredentialStatus } from '../../src/issuance/credential-status.ts';
import { ingestOutcomes } from '../../src/outcomes/ingest-outcomes.ts';
import { ltiFormFields } from '../support/form-token.ts';

describe('learner pages', () => {
  let lms: Sandbox;
  let sello: SelloWithPages;
  let registration: ToolRegistration;
  let learnerLtik: string;
  let teacherLtik: string;
  let evaId: string;
  let contextId: string;
  let nextIndex = 0;

  const launch = async (sub: string, courseId = 'course-l') => {
    const browser = createBrowser();
    const page = await browser.submit(await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: sub, courseId }).url));
    return new URL(page.url).searchParams.get('ltik')!;
  };
  const form = (path: string, ltik: string, fields: Record<string, string>) =>
    fetch(`${sello.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ ...ltiFormFields(ltik), ...fields }).toString(),
    });
  /** A stored credential of Eva's with its status entry, as the signer leaves it. */
  const credentialOfEva = async (name: string, achievementId: string | null = null) => {
    const issuer = (await createIssuerRepository(sello.db).findBySlug(DEFAULT_ISSUER_SLUG))!;
    const id = `urn:uuid:${randomUUID()}`;
    await createCredentialRepository(sello.db).insert({
      id,
      hash: `0x${randomUUID().replaceAll('-', '').padEnd(64, '0')}`,
      document: { id, credentialSubject: { achievement: { name } } },
      issuerId: issuer.id,
      achievementId,
      recipientUserId: evaId,
      validFrom: new Date('2026-03-02T10:00:00Z'),
      validUntil: null,
    });
    const lists = createStatusListRepository(sello.db);
    const group = await lists.findOpenGroup({ issuerId: issuer.id, issuerDid: 'did:web:example', length: 131072, maxFill: 1000 });
    await lists.claimIndex({ groupId: group.id, index: nextIndex++, credentialId: id });
    return id;
  };
  const learnerHome = async () => decodeHtml(await (await fetch(`${sello.url}/app/learner?ltik=${learnerLtik}`)).text());
  /** The text of the page's section whose heading is `heading`. */
  const section = (html: string, heading: string) => {
    const start = html.indexOf(`<h2>${heading}</h2>`);
    if (start < 0) return '';
    const end = html.indexOf('</section>', start);
    return html.slice(start, end);
  };

  beforeAll(async () => {
    lms = await startSandboxLms({ productFamily: 'moodle' });
    sello = await startSelloWithPages();
    lms.addUser({ sub: 'prof', name: 'Profesora', locale: 'es-CR' });
    lms.addUser({ sub: 'eva', name: 'Eva Estudiante', email: 'eva@uni.example', locale: 'es' });
    lms.addCourse({ id: 'course-l', title: 'Química' });
    lms.enroll('course-l', 'prof', [ROLE.instructor]);
    lms.enroll('course-l', 'eva', [ROLE.learner]);
    await createBrowser().get(`${sello.url}/lti/register?openid_configuration=${encodeURIComponent(lms.openIdConfigurationUrl())}&registration_token=${lms.newRegistrationToken()}`);
    registration = [...lms.registrations.values()][0]!;
    const platformId = (await createPlatformRepository(sello.db).findByIssuerAndClient(lms.issuer, registration.clientId))!.id;
    teacherLtik = await launch('prof');
    learnerLtik = await launch('eva');
    contextId = (await createOutcomeRepository(sello.db).findContextByLmsId(platformId, 'course-l'))!.id;
    await ingestOutcomes({
      db: sello.db,
      events: [{ platform: platformId, context: 'course-l', learner: 'eva', activity: 'quiz1', activityName: 'Quiz 1', score: 92, max: 100, completed: null, at: new Date(), source: 'webhook' }],
    });
    evaId = (await sello.db.query<{ id: string }>(`SELECT id FROM users WHERE sub = 'eva'`)).rows[0]!.id;
  }, 120_000);
  afterAll(async () => {
    await sello?.close();
    await lms?.close();
  });

  it('lists revoked and suspended credentials as such, with date and reason, never under earned', async () => {
    await credentialOfEva('Valoración ácido-base');
    const revoked = await credentialOfEva('Seguridad en el laboratorio');
    const suspended = await credentialOfEva('Espectroscopía');
    await setCredentialStatus({ db: sello.db, credentialId: revoked, purpose: 'revocation', value: true, reason: 'Emitida por error', actor: 'admin:test' });
    await setCredentialStatus({ db: sello.db, credentialId: suspended, purpose: 'suspension', value: true, reason: 'Revisión de la nota', actor: 'admin:test' });
    const html = await learnerHome();
    const earned = section(html, 'Credenciales que has obtenido');
    expect(earned).toContain('Valoración ácido-base');
    expect(earned).not.toContain('Seguridad en el laboratorio');
    expect(earned).not.toContain('Espectroscopía');
    const withdrawn = section(html, 'Revocadas, suspendidas o vencidas');
    expect(withdrawn).toContain('Seguridad en el laboratorio');
    expect(withdrawn).toContain('Revocada');
    expect(withdrawn).toContain('Motivo: Emitida por error');
    expect(withdrawn).toContain('Espectroscopía');
    expect(withdrawn).toContain('Suspendida');
    expect(withdrawn).toContain('Motivo: Revisión de la nota');
    expect(withdrawn).toMatch(/de 20\d\d/);
    // One sentence after the name, the state word said once: "Revocada el 3 de mayo de 2026. Motivo: …".
    const words = withdrawn.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(words).toMatch(/Seguridad en el laboratorio Revocada el \d{1,2} de [a-z]+ de 20\d\d\. Motivo: Emitida por error/);
    expect(words).toMatch(/Espectroscopía Suspendida el \d{1,2} de [a-z]+ de 20\d\d\. Motivo: Revisión de la nota/);
  });

  it('does not call a badge earned in the progress when its credential was revoked directly', async () => {
    const created = await form('/app/achievements/new', teacherLtik, {
      name: 'Titulación',
      criteria: JSON.stringify({ kind: 'all', rules: [{ kind: 'score', activity: 'quiz1', minPercent: 80 }] }),
      policy: 'keep',
    });
    expect(created.status).toBe(303);
    const achievement = (await createAchievementRepository(sello.db).listForContext(contextId)).find((a) => a.name === 'Titulación')!;
    const credentialId = await credentialOfEva('Titulación', achievement.id);
    const awards = createAwardRepository(sello.db);
    const { award } = await awards.createIfAbsent({ achievementId: achievement.id, userId: evaId, contextId, origin: 'manual', awardedBy: 'lti:prof', reason: 'Práctica' });
    await awards.transition({ id: award.id, from: 'awarded', to: 'signed', actor: 'test', set: { credentialId } });
    const before = section(await learnerHome(), 'Tu progreso');
    expect(before).toContain('Obtenida');
    await setCredentialStatus({ db: sello.db, credentialId, purpose: 'revocation', value: true, reason: 'Plagio', actor: 'admin:test' });
    const after = section(await learnerHome(), 'Tu progreso');
    expect(after).toContain('Titulación');
    expect(after).toContain('Revocada');
    expect(after).not.toContain('Obtenida');
  });

  it("says in the progress that a badge's criteria are not set yet, instead of a bare heading", async () => {
    // Attached by Deep Linking, its rules not written yet (the instructor's page says "no criteria yet").
    await createAchievementRepository(sello.db).create({ issuerId: sello.issuerId, contextId, name: 'Prácticas de campo', criteria: null });
    const progress = section(await learnerHome(), 'Tu progreso');
    const article = progress.slice(progress.indexOf('Prácticas de campo'));
    expect(article.slice(0, article.indexOf('</article>'))).toContain('Tu docente aún no ha indicado cómo obtener esta insignia.');
    expect(progress).not.toMatch(/<ul>\s*<\/ul>/);
  });

  it("shows a valid badge's detail with LinkedIn (the institution as organization), copy link, QR code and downloads", async () => {
    await createIssuerRepository(sello.db).upsert({ slug: DEFAULT_ISSUER_SLUG, name: 'Universidad del Valle', url: sello.url, email: null, imageUrl: null, description: null, didMethod: 'web' });
    const id = await credentialOfEva('Química orgánica <script>');
    const uuid = id.replace('urn:uuid:', '');
    const res = await fetch(`${sello.url}/app/learner/credentials/${uuid}?ltik=${learnerLtik}`);
    expect(res.status).toBe(200);
    const raw = await res.text();
    expect(raw).not.toContain('<script>');
    expect(raw).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*src=)[^>]*>/);
    const html = decodeHtml(raw);
    const linkedIn = new URL(html.match(/href="(https:\/\/www\.linkedin\.com\/profile\/add\?[^"]+)"/)![1]!);
    expect(Object.fromEntries(linkedIn.searchParams)).toEqual({
      startTask: 'CERTIFICATION_NAME',
      name: 'Química orgánica <script>',
      organizationName: 'Universidad del Valle',
      issueYear: '2026',
      issueMonth: '3',
      certUrl: `${sello.url}/credentials/${uuid}`,
      certId: id,
    });
    expect(html).toContain('Copiar enlace');
    expect(html).toContain(`value="${sello.url}/credentials/${uuid}"`);
    expect(html).toContain('<script src="/static/js/copy-link.js"></script>');
    expect(html).toMatch(/<svg[^>]*viewBox/);
    for (const download of [`/credentials/${uuid}/badge.png`, `/credentials/${uuid}/badge.svg`, `/credentials/${uuid}.json`]) expect(html).toContain(`href="${sello.url}${download}"`);
  });

  it('offers no share action for a badge that is not valid, and no page for a badge of someone else', async () => {
    const id = await credentialOfEva('Cromatografía');
    await setCredentialStatus({ db: sello.db, credentialId: id, purpose: 'revocation', value: true, reason: 'Error de nota', actor: 'admin:test' });
    const res = await fetch(`${sello.url}/app/learner/credentials/${id.replace('urn:uuid:', '')}?ltik=${learnerLtik}`);
    expect(res.status).toBe(200);
    const html = decodeHtml(await res.text());
    expect(html).toContain('Revocada');
    expect(html).toContain('Motivo: Error de nota');
    expect(html).not.toContain('linkedin.com');
    expect(html).not.toContain('Copiar enlace');
    expect(html).not.toContain('badge.png');
    expect(html).not.toContain('<svg');
    expect(html).not.toContain('openid-credential-offer');
    expect(html).not.toContain('lcw.app');
    const unknown = await fetch(`${sello.url}/app/learner/credentials/${randomUUID()}?ltik=${learnerLtik}`, { headers: { accept: 'application/json' } });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { code: string }).code).toBe('credential_not_found');
  });

  it('lets the learner choose whether public pages show their name, and refuses a value that is not a checkbox', async () => {
    const users = createUserRepository(sello.db);
    expect((await users.findById(evaId))!.showNamePublicly).toBe(true);
    expect(await learnerHome()).toMatch(/id="show-name"[^>]* checked/);
    // An unticked checkbox sends nothing.
    const off = await form('/app/learner/privacy', learnerLtik, {});
    expect(off.status).toBe(200);
    const offHtml = decodeHtml(await off.text());
    expect(offHtml).toContain('Tu nombre ya no se muestra');
    expect(offHtml).not.toMatch(/id="show-name"[^>]* checked/);
    expect((await users.findById(evaId))!.showNamePublicly).toBe(false);
    const bad = await form('/app/learner/privacy', learnerLtik, { showName: 'maybe' });
    expect(bad.status).toBe(400);
    expect(decodeHtml(await bad.text())).toContain('Marca la casilla o déjala vacía.');
    expect((await users.findById(evaId))!.showNamePublicly).toBe(false);
    const on = await form('/app/learner/privacy', learnerLtik, { showName: 'on' });
    expect(decodeHtml(await on.text())).toContain('Tu nombre se muestra');
    expect((await users.findById(evaId))!.showNamePublicly).toBe(true);
  });

  it('lists at /me, in the same LTI session, the badges of every course with their course', async () => {
    const created = await form('/app/achievements/new', teacherLtik, {
      name: 'Destilación',
      criteria: JSON.stringify({ kind: 'all', rules: [{ kind: 'score', activity: 'quiz1', minPercent: 50 }] }),
      policy: 'keep',
    });
    expect(created.status).toBe(303);
    const achievement = (await createAchievementRepository(sello.db).listForContext(contextId)).find((a) => a.name === 'Destilación')!;
    await credentialOfEva('Destilación', achievement.id);
    lms.addCourse({ id: 'course-m', title: 'Física' });
    lms.enroll('course-m', 'eva', [ROLE.learner]);
    const otherCourseLtik = await launch('eva', 'course-m');
    const res = await fetch(`${sello.url}/me?ltik=${otherCourseLtik}`);
    expect(res.status).toBe(200);
    const html = decodeHtml(await res.text());
    expect(html).toContain('Todas mis insignias');
    const earned = section(html, 'Credenciales que has obtenido');
    expect(earned).toContain('Destilación');
    expect(earned).toContain('· Química');
    expect(earned).toContain('Valoración ácido-base');
    expect(section(html, 'Revocadas, suspendidas o vencidas')).toContain('Titulación');
    const home = decodeHtml(await (await fetch(`${sello.url}/app/learner?ltik=${otherCourseLtik}`)).text());
    expect(home).toContain(`href="/me?ltik=${otherCourseLtik}"`);
    const noSession = await fetch(`${sello.url}/me`, { headers: { accept: 'application/json' } });
    expect(noSession.status).toBeGreaterThanOrEqual(400);
    expect(noSession.status).toBeLessThan(500);
  });

  it('offers "Add to wallet" on a valid badge without JavaScript: a QR code and a same-device link per protocol, each starting a live, single-use flow, in Spanish and English', async () => {
    const id = await credentialOfEva('Insignia para la billetera');
    const uuid = id.replace('urn:uuid:', '');
    const page = async (lang: string) => {
      const res = await fetch(`${sello.url}/app/learner/credentials/${uuid}?ltik=${learnerLtik}&lang=${lang}`);
      expect(res.status).toBe(200);
      return decodeHtml(await res.text());
    };
    const es = await page('es');
    expect(es).toContain('Añadir a la billetera');
    expect(es).toMatch(/Estos códigos sirven una vez, hasta las \d\d:\d\d UTC/);
    const en = await page('en');
    expect(en).toContain('Add to wallet');
    expect(en).toContain('Open in Learner Credential Wallet');
    const wallet = en.slice(en.indexOf('id="wallet-title"'));
    // Three QR codes on the page: the page link's, and one per wallet protocol.
    expect(en.match(/<svg[^>]*viewBox/g)).toHaveLength(3);

    const offerLink = wallet.match(/href="(openid-credential-offer:\/\/\?credential_offer_uri=[^"]+)"/)![1]!;
    const offerJson = (await (await fetch(new URL(offerLink).searchParams.get('credential_offer_uri')!)).json()) as { credential_issuer: string };
    expect(offerJson.credential_issuer).toBe(sello.url);

    const lcwLink = wallet.match(/href="(https:\/\/lcw\.app\/request\?request=[^"]+)"/)![1]!;
    const request = JSON.parse(new URL(lcwLink).searchParams.get('request')!) as { credentialRequestOrigin: string; protocols: { vcapi: string } };
    expect(request.credentialRequestOrigin).toBe(sello.url);
    const started = await fetch(request.protocols.vcapi, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(started.status).toBe(200);
    expect(((await started.json()) as { verifiablePresentationRequest: { query: Array<{ type: string }> } }).verifiablePresentationRequest.query[0]!.type).toBe('DIDAuthentication');
    expect(wallet).not.toContain('<script>');
  });

  it('gives the learner a wallet offer (OpenID4VCI) for a credential of theirs, and none for anyone else\'s', async () => {
    const id = await credentialOfEva('Wallet badge');
    const ask = (credentialId: string) =>
      fetch(`${sello.url}/app/learner/credentials/${encodeURIComponent(credentialId)}/offer?ltik=${learnerLtik}`, { method: 'POST', headers: { accept: 'application/json' } });
    const answer = await ask(id);
    expect(answer.status).toBe(201);
    const offer = (await answer.json()) as { offer_uri: string; credential_offer_uri: string };
    expect(offer.offer_uri).toBe(`openid-credential-offer://?credential_offer_uri=${encodeURIComponent(offer.credential_offer_uri)}`);
    const json = (await (await fetch(offer.credential_offer_uri)).json()) as { credential_configuration_ids: string[] };
    expect(json.credential_configuration_ids).toEqual(['OpenBadgeCredential_ldp_vc']);
    const issuer = (await createIssuerRepository(sello.db).findBySlug(DEFAULT_ISSUER_SLUG))!;
    const othersId = `urn:uuid:${randomUUID()}`;
    await createCredentialRepository(sello.db).insert({
      id: othersId, hash: `0x${'1'.repeat(64)}`, document: { id: othersId }, issuerId: issuer.id, achievementId: null, recipientUserId: null, validFrom: new Date(), validUntil: null,
    });
    expect((await ask(othersId)).status).toBe(404);
  });
});
