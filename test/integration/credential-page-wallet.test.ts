/**
 * Issue 14, "Add to wallet" on the public credential page: only the recipient's own
 * browser (a valid learner session of the award's learner, left by the learner's link to
 * the page) gets the offer; strangers, other learners and forged or expired sessions get
 * the page everyone gets, which shared caches may keep, and cannot obtain an offer by
 * guessing URLs. The offer the recipient gets there completes with the independent
 * OpenID4VCI holder client and with the VC-API test wallet.
 */
import crypto from 'node:crypto';
import { base64url } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxLms, ROLE, type Sandbox, type ToolRegistration } from '../../src/sandbox-lms/index.ts';
import { decodeHtml } from '../support/sandbox-lms/browser.ts';
import { launchLtik, registerSello } from '../support/sandbox-lms/launch.ts';
import { startSelloWithPages, type SelloWithPages } from '../support/issuance/sello-with-pages.ts';
import { createAchievementRepository } from '../../src/storage/achievement-repository.ts';
import { createHolderBoundCredentialRepository } from '../../src/storage/holder-bound-credential-repository.ts';
import { createWalletDid, VcapiTestWallet } from '../support/wallets/vcapi-wallet.ts';
import { createOpenid4vciTestWallet } from '../support/wallets/openid4vci-wallet.ts';

type Json = Record<string, unknown>;

describe('"Add to wallet" on the public credential page, for its recipient only', () => {
  let lms: Sandbox;
  let sello: SelloWithPages;
  let registration: ToolRegistration;
  let evaLtik: string;
  let leoLtik: string;
  let profLtik: string;
  let evaId: string;
  let achievementId: string;

  const launch = (sub: string) => launchLtik(lms, registration, sub, 'course-w');
  /** A signed credential of the award, recorded as issued to `userId` (as the pipeline records it). */
  const credentialOf = async (userId: string) => {
    const issued = await request(sello.url)
      .post('/credentials/issue')
      .set('authorization', `Bearer ${sello.adminToken}`)
      .send({ options: { achievementId, recipient: { email: 'eva@uni.example', name: 'Eva Estudiante' } } })
      .expect(201);
    const id = String(issued.body.verifiableCredential.id);
    await sello.db.query('UPDATE credentials SET recipient_user_id = $1 WHERE id = $2', [userId, id]);
    return id.replace('urn:uuid:', '');
  };
  /** A browser that followed the learner's own link to the public page. */
  const recipientBrowser = async (uuid: string, ltik = evaLtik) => {
    const agent = request.agent(sello.url);
    const link = await agent.get(`/app/learner/credentials/${uuid}/public?ltik=${ltik}`);
    return { agent, link };
  };
  const offersIssued = async () =>
    Number((await sello.db.query<{ n: string }>('SELECT (SELECT count(*) FROM openid4vci_offers) + (SELECT count(*) FROM vcapi_exchanges) AS n')).rows[0]!.n);
  const hasOffer = (html: string) => /openid-credential-offer:|lcw\.app\/request|id="wallet-title"|\/workflows\/claim-badge\/exchanges\/|\/openid4vci\/offers\//.test(html);
  const walletBlock = (html: string) => html.slice(html.indexOf('id="wallet-title"'), html.indexOf('</section>', html.indexOf('id="wallet-title"')));

  beforeAll(async () => {
    lms = await startSandboxLms({ productFamily: 'moodle' });
    sello = await startSelloWithPages();
    lms.addUser({ sub: 'prof', name: 'Profesora', locale: 'es' });
    lms.addUser({ sub: 'eva', name: 'Eva Estudiante', email: 'eva@uni.example', locale: 'en' });
    lms.addUser({ sub: 'leo', name: 'Leo Compañero', email: 'leo@uni.example', locale: 'en' });
    lms.addCourse({ id: 'course-w', title: 'Billeteras' });
    lms.enroll('course-w', 'prof', [ROLE.instructor]);
    lms.enroll('course-w', 'eva', [ROLE.learner]);
    lms.enroll('course-w', 'leo', [ROLE.learner]);
    registration = await registerSello(lms, sello.url);
    [evaLtik, leoLtik, profLtik] = [await launch('eva'), await launch('leo'), await launch('prof')];
    evaId = (await sello.db.query<{ id: string }>(`SELECT id FROM users WHERE sub = 'eva'`)).rows[0]!.id;
    achievementId = (await createAchievementRepository(sello.db).create({ issuerId: sello.issuerId, name: 'Billetera digital', description: 'Guardó una insignia.', criteriaNarrative: { en: 'Done.' } })).id;
  }, 120_000);
  afterAll(async () => {
    await sello?.close();
    await lms?.close();
  });

  it("leaves the learner's session in a cookie for the public pages only and redirects to the clean public URL", async () => {
    const uuid = await credentialOf(evaId);
    const { link } = await recipientBrowser(uuid);
    expect(link.status).toBe(303);
    expect(link.headers.location).toBe(`/credentials/${uuid}`);
    const cookie = link.headers['set-cookie']![0]!;
    expect(cookie).toMatch(/^sello_recipient=[^;]+; Path=\/credentials\/; HttpOnly; SameSite=Lax$/);
    // The learner pages link there, not to the bare public URL.
    const home = decodeHtml(await (await fetch(`${sello.url}/app/learner?ltik=${evaLtik}`)).text());
    expect(home).toContain(`href="/app/learner/credentials/${encodeURIComponent(`urn:uuid:${uuid}`)}/public?ltik=${evaLtik}"`);
  });

  it("shows the recipient's browser the learner page's \"Add to wallet\" block, QR code and same-device link per protocol, in English and Spanish, never cached", async () => {
    const uuid = await credentialOf(evaId);
    const { agent } = await recipientBrowser(uuid);
    const en = await agent.get(`/credentials/${uuid}?lang=en`).expect(200);
    expect(en.headers['cache-control']).toBe('private, no-store');
    expect(en.headers.vary).toMatch(/\bCookie\b/);
    const html = decodeHtml(en.text);
    expect(html).toContain('Add to wallet');
    expect(html).toContain('Open in Learner Credential Wallet');
    expect(html).toContain('Open in my wallet app');
    expect(html).toMatch(/These codes work once, until \d\d:\d\d UTC/);
    expect(html).not.toContain('Are you the recipient?');
    // Three QR codes: the page link's and one per wallet protocol; no script in the block.
    expect(html.match(/<svg[^>]*viewBox/g)).toHaveLength(3);
    const block = walletBlock(html);
    expect(block).toMatch(/href="openid-credential-offer:\/\/\?credential_offer_uri=[^"]+"/);
    expect(block).toMatch(/href="https:\/\/lcw\.app\/request\?request=[^"]+"/);
    expect(block).not.toContain('<script');
    const es = decodeHtml((await agent.get(`/credentials/${uuid}?lang=es`).expect(200)).text);
    expect(es).toContain('Añadir a la billetera');
    expect(es).toMatch(/Estos códigos sirven una vez, hasta las \d\d:\d\d UTC/);
  });

  it('completes the OpenID4VCI offer of the public page with the independent holder client, binding its did:key', async () => {
    const uuid = await credentialOf(evaId);
    const { agent } = await recipientBrowser(uuid);
    const html = decodeHtml((await agent.get(`/credentials/${uuid}`).expect(200)).text);
    const offerUri = walletBlock(html).match(/href="(openid-credential-offer:\/\/\?credential_offer_uri=[^"]+)"/)![1]!;

    const wallet = await createOpenid4vciTestWallet();
    const did = wallet.did;
    const bound = await wallet.receive(offerUri);
    expect((bound.credentialSubject as Json).id).toBe(did);
    expect(await createHolderBoundCredentialRepository(sello.db).listOf(`urn:uuid:${uuid}`)).toEqual([expect.objectContaining({ credentialId: bound.id, holderDid: did })]);
    // The new credential has a public page of its own, and it verifies.
    const boundPage = await request(sello.url).get(`/credentials/${String(bound.id).replace('urn:uuid:', '')}?lang=en`).expect(200);
    expect(boundPage.text).toContain('Verified credential');
    // The offer was single use.
    const again = await fetch(new URL(offerUri).searchParams.get('credential_offer_uri')!);
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.status).toBeLessThan(500);
  });

  it('completes the VC-API exchange of the public page with the test wallet (as the Learner Credential Wallet does)', async () => {
    const uuid = await credentialOf(evaId);
    const { agent } = await recipientBrowser(uuid);
    const html = decodeHtml((await agent.get(`/credentials/${uuid}`).expect(200)).text);
    const deepLink = walletBlock(html).match(/href="(https:\/\/lcw\.app\/request\?request=[^"]+)"/)![1]!;
    const holder = await createWalletDid();
    const wallet = new VcapiTestWallet(holder);
    const answer = await wallet.claim(deepLink);
    expect(answer.status).toBe(200);
    expect(wallet.received).toHaveLength(1);
    expect((wallet.received[0]!.credentialSubject as Json).id).toBe(holder.did);
    expect(await createHolderBoundCredentialRepository(sello.db).listOf(`urn:uuid:${uuid}`)).toEqual([expect.objectContaining({ holderDid: holder.did })]);
  });

  it('gives a signed-out visitor the page without any offer, cacheable by shared caches, with a line for the recipient, also after the recipient viewed it', async () => {
    const uuid = await credentialOf(evaId);
    const { agent } = await recipientBrowser(uuid);
    // The recipient first (the verification report is now cached), then strangers.
    expect(hasOffer((await agent.get(`/credentials/${uuid}`).expect(200)).text)).toBe(true);
    const before = await offersIssued();
    for (const lang of ['en', 'es']) {
      const stranger = await request(sello.url).get(`/credentials/${uuid}?lang=${lang}`).expect(200);
      expect(stranger.headers['cache-control']).toBe('public, no-cache');
      expect(stranger.headers.vary).toMatch(/\bCookie\b/);
      expect(stranger.headers.vary).toMatch(/\bAccept-Language\b/);
      const html = decodeHtml(stranger.text);
      expect(hasOffer(html)).toBe(false);
      expect(html).not.toContain('<h2 id="wallet-title"');
      expect(html).toContain(lang === 'en' ? 'Verified credential' : 'Credencial verificada');
      expect(html).toContain(
        lang === 'en'
          ? 'Are you the recipient? Open this badge from your course in the LMS, or from “All my badges” there, to add it to a wallet app.'
          : '¿Eres quien la recibió? Abre esta insignia desde tu curso en el LMS, o desde «Todas mis insignias» allí, para añadirla a una app de billetera.',
      );
    }
    expect(await offersIssued()).toBe(before);
  });

  it('gives another learner of the same course, and the instructor, no offer: not through the link, their own session cookie, or the offer routes', async () => {
    const uuid = await credentialOf(evaId);
    const before = await offersIssued();
    for (const ltik of [leoLtik, profLtik]) {
      const { agent, link } = await recipientBrowser(uuid, ltik);
      expect(link.status).toBe(404);
      expect(link.headers['set-cookie']).toBeUndefined();
      const page = await agent.get(`/credentials/${uuid}`).expect(200);
      expect(hasOffer(page.text)).toBe(false);
      expect(page.headers['cache-control']).toBe('public, no-cache');
      // Their own valid session in the cookie (as their own badge's link would leave it).
      const withTheirCookie = await request(sello.url).get(`/credentials/${uuid}`).set('cookie', `sello_recipient=${ltik}`).expect(200);
      expect(hasOffer(withTheirCookie.text)).toBe(false);
      for (const route of ['offer', 'exchange']) {
        const asked = await request(sello.url).post(`/app/learner/credentials/${encodeURIComponent(`urn:uuid:${uuid}`)}/${route}?ltik=${ltik}`).set('accept', 'application/json');
        expect(asked.status, `${route} with another person's session`).toBe(ltik === profLtik ? 403 : 404);
      }
    }
    expect(await offersIssued()).toBe(before);
  });

  it('gives no offer to forged, tampered or expired sessions, nor to guessed URLs', async () => {
    const uuid = await credentialOf(evaId);
    const before = await offersIssued();
    const [header, payload] = evaLtik.split('.');
    const forged = [
      'x',
      `${header}.${payload}.${base64url.encode(crypto.randomBytes(32))}`,
      `${header}.${base64url.encode(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), s: 'guessed-state' }))}.${evaLtik.split('.')[2]}`,
    ];
    for (const value of forged) {
      const page = await request(sello.url).get(`/credentials/${uuid}`).set('cookie', `sello_recipient=${encodeURIComponent(value)}`).expect(200);
      expect(hasOffer(page.text), value).toBe(false);
    }
    // Signed out: the offer routes want the learner's session.
    for (const route of ['offer', 'exchange']) {
      const asked = await request(sello.url).post(`/app/learner/credentials/${encodeURIComponent(`urn:uuid:${uuid}`)}/${route}`).set('accept', 'application/json');
      expect(asked.status).toBe(401);
      expect(asked.body.code).toBe('lti_session_required');
    }
    expect((await request(sello.url).get(`/app/learner/credentials/${uuid}/public`).set('accept', 'application/json')).status).toBe(401);
    for (const guess of [`/credentials/${uuid}/wallet`, `/credentials/${uuid}/offer`, `/credentials/${uuid}?wallet=1&recipient=1`, `/credentials/${uuid}?ltik=${leoLtik}`]) {
      const answer = await request(sello.url).get(guess);
      expect(hasOffer(answer.text), guess).toBe(false);
    }
    expect((await request(sello.url).get(`/openid4vci/offers/${base64url.encode(crypto.randomBytes(32))}`)).status).toBe(404);
    expect((await request(sello.url).post(`/workflows/claim-badge/exchanges/${base64url.encode(crypto.randomBytes(32))}`).send({})).status).toBe(404);
    expect(await offersIssued()).toBe(before);

    // The recipient's own browser once the launch behind its cookie has expired.
    const freshLtik = await launch('eva');
    const { agent } = await recipientBrowser(uuid, freshLtik);
    expect(hasOffer((await agent.get(`/credentials/${uuid}`).expect(200)).text)).toBe(true);
    const state = JSON.parse(Buffer.from(freshLtik.split('.')[1]!, 'base64url').toString()).s as string;
    await sello.db.query(`UPDATE lti_launches SET expires_at = now() - interval '1 second' WHERE state = $1`, [state]);
    const expired = await agent.get(`/credentials/${uuid}`).expect(200);
    expect(hasOffer(expired.text)).toBe(false);
    expect(expired.headers['cache-control']).toBe('public, no-cache');
  });
});
