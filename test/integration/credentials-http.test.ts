import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unbakePng, unbakeSvg } from '../../src/credentials/bake.ts';
import { validateOb3Schema } from '../../src/credentials/schema.ts';
import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { createDocumentLoader } from '../../src/credentials/document-loader.ts';
import type { SigningKey } from '../../src/credentials/sign-credential.ts';
import { makeDidKeyIssuer } from '../unit/credentials/fixtures.ts';
import { ADMIN, makeCredentialsApp } from './credentials-fixture.ts';
import { verifyCredential } from '../../src/credentials/verify.ts';
import { localVerifyOptions } from '../../src/web/credential-routes.ts';

/** A learner's wallet (a did:key holder) presenting a credential for a verifier's challenge. */
async function holderSignedPresentation(holder: SigningKey, credential: object, challenge: string): Promise<Record<string, unknown>> {
  const pair = await Ed25519Multikey.from({ id: holder.verificationMethod, controller: holder.controller, type: 'Multikey', publicKeyMultibase: holder.publicKeyMultibase, secretKeyMultibase: holder.secretKeyMultibase });
  const presentation = { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], holder: holder.controller, verifiableCredential: [credential] };
  const signPresentation = (vc as unknown as { signPresentation(o: object): Promise<Record<string, unknown>> }).signPresentation;
  return signPresentation({ presentation, suite: new DataIntegrityProof({ signer: pair.signer(), cryptosuite }), documentLoader: createDocumentLoader(), challenge });
}

describe('credentials over HTTP', () => {
  let t: Awaited<ReturnType<typeof makeCredentialsApp>>;
  let credential: Record<string, unknown>;
  let uuid: string;
  beforeAll(async () => {
    t = await makeCredentialsApp();
    const res = await request(t.app)
      .post('/credentials/issue')
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ credential: {}, options: { achievementId: t.achievement.id, recipient: { email: 'ana@example.edu', name: 'Ana Pérez' } } })
      .expect(201);
    credential = res.body.verifiableCredential;
    uuid = String(credential.id).replace('urn:uuid:', '');
  });
  afterAll(() => t.close());

  it('issues a schema-valid credential for a stored achievement (VC API shape)', () => {
    expect(validateOb3Schema(credential).valid).toBe(true);
    expect((credential.credentialSubject as { name: string }).name).toBe('Ana Pérez');
  });

  it('issues from an achievement described in the request body', async () => {
    const res = await request(t.app)
      .post('/credentials/issue')
      .set('authorization', `Bearer ${ADMIN}`)
      .send({
        credential: { credentialSubject: { id: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', achievement: { name: 'Taller de Git', description: 'Asistió al taller', criteria: { narrative: 'Asistir' } } } },
        options: {},
      })
      .expect(201);
    expect((res.body.verifiableCredential.credentialSubject as { id: string }).id).toBe('did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK');
  });

  it('refuses to issue without the admin token', async () => {
    const res = await request(t.app).post('/credentials/issue').send({ options: { achievementId: t.achievement.id } }).expect(401);
    expect(res.body.code).toBe('unauthorized');
  });

  it('answers a malformed issue request with 400 and a code, issuing nothing', async () => {
    const before = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM credentials');
    const res = await request(t.app).post('/credentials/issue').set('authorization', `Bearer ${ADMIN}`).send({ options: { recipient: { email: 'not-an-email' } } }).expect(400);
    expect(res.body.code).toBe('invalid_request');
    const unknown = await request(t.app)
      .post('/credentials/issue')
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ options: { achievementId: '00000000-0000-4000-8000-000000000000', recipient: { email: 'a@b.example' } } })
      .expect(404);
    expect(unknown.body.code).toBe('achievement_not_found');
    const after = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM credentials');
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });

  it('verifies a credential and reports every named check', async () => {
    const res = await request(t.app).post('/credentials/verify').send({ verifiableCredential: credential }).expect(200);
    expect(res.body.verified).toBe(true);
    expect(res.body.checks.map((c: { id: string }) => c.id)).toEqual(['schema', 'signature', 'issuer_key', 'status', 'validity_period', 'anchored_on_chain', 'issuer_registered']);
  });

  it('reports a tampered credential as not verified with the signature check failing', async () => {
    const tampered = structuredClone(credential);
    tampered.name = 'Something else';
    const res = await request(t.app).post('/credentials/verify').send({ verifiableCredential: tampered }).expect(422);
    expect(res.body.verified).toBe(false);
    expect(res.body.checks.find((c: { id: string }) => c.id === 'signature')).toMatchObject({ valid: false, error: 'invalid_signature' });
  });

  it('answers a body that is not a credential with 400 invalid_credential', async () => {
    const res = await request(t.app).post('/credentials/verify').send({ something: 1 }).expect(400);
    expect(res.body.code).toBe('invalid_credential');
    for (const notACredential of [{ name: 'no type' }, { type: ['VerifiablePresentation'] }, [credential], 'text']) {
      const answer = await request(t.app).post('/credentials/verify').send({ verifiableCredential: notACredential }).expect(400);
      expect(answer.body.code).toBe('invalid_credential');
    }
  });

  it('answers 422 with the full report when a credential fails a check, 200 when it passes (VC API, issue 14.2)', async () => {
    const expired = { ...structuredClone(credential), validUntil: '2020-01-01T00:00:00Z' };
    const res = await request(t.app).post('/credentials/verify').send({ verifiableCredential: expired }).expect(422);
    expect(res.body).toMatchObject({ code: 'credential_not_verified', verified: false });
    expect(res.body.checks.map((c: { id: string }) => c.id)).toEqual(['schema', 'signature', 'issuer_key', 'status', 'validity_period', 'anchored_on_chain', 'issuer_registered']);
    expect(res.body.checks.find((c: { id: string }) => c.id === 'validity_period')).toMatchObject({ valid: false, error: 'expired' });
    const unsignedVp = { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], verifiableCredential: [expired] };
    const vp = await request(t.app).post('/presentations/verify').send({ verifiablePresentation: unsignedVp }).expect(422);
    expect(vp.body).toMatchObject({ code: 'presentation_not_verified', verified: false, presentation: { valid: true, skipped: true }, credentials: [{ verified: false }] });
    const notAVp = await request(t.app).post('/presentations/verify').send({ verifiablePresentation: { type: ['VerifiableCredential'] } }).expect(400);
    expect(notAVp.body.code).toBe('invalid_presentation');
  });

  it('sends the report the worker serialised as the same bytes as res.json of the report verified here, 200 and 422 alike', async () => {
    const expired = { ...structuredClone(credential), validUntil: '2020-01-01T00:00:00Z' };
    for (const [submitted, status] of [[credential, 200], [expired, 422]] as const) {
      const res = await request(t.app).post('/credentials/verify').send({ verifiableCredential: submitted }).expect(status);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      // Verified here at the clock reading the server's report shows, so that only the way of answering differs.
      const serverNow = new Date((JSON.parse(res.text) as { checks: Array<{ id: string; details?: { now?: string } }> }).checks.find((c) => c.id === 'validity_period')!.details!.now!);
      const report = await verifyCredential(structuredClone(submitted), { ...localVerifyOptions(t.deps), now: () => serverNow });
      expect(report.verified).toBe(status === 200);
      const expected = status === 200 ? report : { code: 'credential_not_verified', message: 'A check failed; see checks', ...report };
      expect(res.text).toBe(JSON.stringify(expected));
      expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.text)));
    }
  });

  it('answers malformed JSON and a 10 MB body with 4xx codes', async () => {
    const bad = await request(t.app).post('/credentials/verify').set('content-type', 'application/json').send('{"verifiableCredential":').expect(400);
    expect(bad.body.code).toBe('invalid_json');
    const huge = await request(t.app)
      .post('/credentials/verify')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ verifiableCredential: { blob: 'x'.repeat(10 * 1024 * 1024) } }))
      .expect(413);
    expect(huge.body.code).toBe('payload_too_large');
  });

  it('verifies an unsigned presentation holding the credential', async () => {
    const res = await request(t.app)
      .post('/presentations/verify')
      .send({ verifiablePresentation: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], verifiableCredential: [credential] } })
      .expect(200);
    expect(res.body.presentation).toMatchObject({ valid: true, skipped: true, error: 'unsigned' });
    expect(res.body.credentials[0].verified).toBe(true);
    expect(res.body.verified).toBe(true);
    const bad = await request(t.app).post('/presentations/verify').send({ verifiablePresentation: 'x' }).expect(400);
    expect(bad.body.code).toBe('invalid_presentation');
  });

  it('refuses an unsigned presentation when the verifier sends a challenge (issue 10.5)', async () => {
    const unsigned = { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], verifiableCredential: [credential] };
    const res = await request(t.app).post('/presentations/verify').send({ verifiablePresentation: unsigned, options: { challenge: 'c-42', domain: 'verifier.example' } }).expect(422);
    expect(res.body).toMatchObject({ verified: false, presentation: { valid: false, error: 'missing_presentation_proof' } });
    expect(res.body.credentials[0].verified).toBe(true);
  });

  it('answers signed presentations without @context, with an object first or without a challenge with a report, never a 500 (issue 14.3)', async () => {
    const holder = await makeDidKeyIssuer();
    const vp = await holderSignedPresentation(holder, credential, 'c-42');
    const { ['@context']: _dropped, ...noContext } = vp;
    const missing = await request(t.app).post('/presentations/verify').send({ verifiablePresentation: noContext, options: { challenge: 'c-42' } }).expect(422);
    expect(missing.body.presentation).toMatchObject({ valid: false, error: 'invalid_presentation_context' });
    const objectFirst = { ...vp, '@context': [{ '@vocab': 'https://example.org/#' }, ...(vp['@context'] as string[])] };
    const first = await request(t.app).post('/presentations/verify').send({ verifiablePresentation: objectFirst, options: { challenge: 'c-42' } }).expect(422);
    expect(first.body.presentation).toMatchObject({ valid: false, error: 'invalid_presentation_context' });
    const withoutChallenge = await request(t.app).post('/presentations/verify').send({ verifiablePresentation: vp }).expect(200);
    expect(withoutChallenge.body).toMatchObject({ verified: true, presentation: { valid: true } });
    const signed = await request(t.app).post('/presentations/verify').send({ verifiablePresentation: vp, options: { challenge: 'c-42' } }).expect(200);
    expect(signed.body).toMatchObject({ verified: true, presentation: { valid: true, details: { holder: holder.controller } } });
    const badOptions = await request(t.app).post('/presentations/verify').send({ verifiablePresentation: vp, options: { challenge: 42 } }).expect(400);
    expect(badOptions.body.code).toBe('invalid_presentation');
  });

  it('serves the DID document with the assertion key and no private material', async () => {
    const res = await request(t.app).get('/.well-known/did.json').expect(200);
    expect(res.body.id).toBe('did:web:localhost%3A3000');
    expect(res.body.assertionMethod.length).toBeGreaterThanOrEqual(1);
    expect(res.body.verificationMethod[0]).toMatchObject({ type: 'Multikey', controller: 'did:web:localhost%3A3000', publicKeyMultibase: expect.stringMatching(/^z6Mk/) });
    expect(res.text).not.toMatch(/secretKey|zrv/);
  });

  it('lists and rotates issuer keys through the admin API, showing public keys only', async () => {
    await request(t.app).get('/admin/api/issuers/default/keys').expect(401);
    const before = await request(t.app).get('/admin/api/issuers/default/keys').set('authorization', `Bearer ${ADMIN}`).expect(200);
    const rotated = await request(t.app).post('/admin/api/issuers/default/keys/rotate').set('authorization', `Bearer ${ADMIN}`).send({ reason: 'test' }).expect(201);
    expect(rotated.body.key).toMatchObject({ issuerDid: 'did:web:localhost%3A3000', validUntil: null, revoked: false });
    const after = await request(t.app).get('/admin/api/issuers/default/keys').set('authorization', `Bearer ${ADMIN}`).expect(200);
    expect(after.body.keys).toHaveLength(before.body.keys.length + 1);
    expect(JSON.stringify(after.body)).not.toMatch(/secret|encrypted|zrv/i);
    const did = await request(t.app).get('/.well-known/did.json').expect(200);
    expect(did.body.assertionMethod).toHaveLength(after.body.keys.length);
    const verified = await request(t.app).post('/credentials/verify').send({ verifiableCredential: credential }).expect(200);
    expect(verified.body.verified).toBe(true);
    const unknown = await request(t.app).get('/admin/api/issuers/nope/keys').set('authorization', `Bearer ${ADMIN}`).expect(404);
    expect(unknown.body.code).toBe('did_not_found');
  });

  it('serves the signed status list credentials named in the credential', async () => {
    const status = credential.credentialStatus as { statusListCredential: string };
    const path = new URL(status.statusListCredential).pathname;
    const res = await request(t.app).get(path).expect(200);
    const list = JSON.parse(res.text);
    expect(list.type).toEqual(['VerifiableCredential', 'BitstringStatusListCredential']);
    expect(list.credentialSubject).toMatchObject({ type: 'BitstringStatusList', statusPurpose: 'revocation', encodedList: expect.stringMatching(/^u/) });
    expect(list.issuer).toBe('did:web:localhost%3A3000');
    await request(t.app).get(path.replace('-revocation', '-suspension')).expect(200);
    const missing = await request(t.app).get('/status/nope').set('accept', 'application/json').expect(404);
    expect(missing.body.code).toBe('status_list_not_found');
  });

  it('serves the credential as JSON-LD by its uuid', async () => {
    const res = await request(t.app).get(`/credentials/${uuid}.json`).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/ld\+json/);
    expect(JSON.parse(res.text)).toEqual(credential);
  });

  it('serves baked PNG and SVG badges that unbake to the credential', async () => {
    const png = await request(t.app).get(`/credentials/${uuid}/badge.png`).buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    }).expect(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(unbakePng(png.body as Buffer)).toEqual(credential);
    const svg = await request(t.app).get(`/credentials/${uuid}/badge.svg`).buffer(true).parse((res, done) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => done(null, text));
    }).expect(200);
    expect(unbakeSvg(svg.body as string)).toEqual(credential);
  });

  it('renders the verification page in Spanish and English with checks, share links and a QR code', async () => {
    const es = await request(t.app).get(`/credentials/${uuid}?lang=es`).expect(200);
    expect(es.text).toContain('Credencial verificada');
    expect(es.text).toContain('Python Basics');
    expect(es.text).toContain('Otorgada a Ana Pérez');
    expect(es.text).toContain('✓');
    expect(es.text).toMatch(/https:\/\/www\.linkedin\.com\/profile\/add\?startTask(=|&#x3D;)CERTIFICATION_NAME/);
    expect(es.text).toContain('<svg');
    expect(es.text).toContain(`/credentials/${uuid}/badge.png`);
    const en = await request(t.app).get(`/credentials/${uuid}?lang=en`).expect(200);
    expect(en.text).toContain('Verified credential');
    expect(en.text).toContain('Add to LinkedIn profile');
  });

  it('answers an unknown credential with 404 credential_not_found', async () => {
    const res = await request(t.app).get('/credentials/00000000-0000-4000-8000-000000000000.json').set('accept', 'application/json').expect(404);
    expect(res.body.code).toBe('credential_not_found');
  });

  it('revokes through the admin API with a reason, and the page and verify endpoint show it', async () => {
    const missingReason = await request(t.app).post(`/admin/api/credentials/${uuid}/status`).set('authorization', `Bearer ${ADMIN}`).send({ action: 'suspend' }).expect(400);
    expect(missingReason.body.code).toBe('invalid_request');
    await request(t.app).post(`/admin/api/credentials/${uuid}/status`).send({ action: 'revoke', reason: 'x' }).expect(401);
    const suspended = await request(t.app).post(`/admin/api/credentials/${uuid}/status`).set('authorization', `Bearer ${ADMIN}`).send({ action: 'suspend', reason: 'Under review' }).expect(200);
    expect(suspended.body).toEqual({ credentialId: credential.id, purpose: 'suspension', value: true, changed: true });
    const whileSuspended = await request(t.app).post('/credentials/verify').send({ verifiableCredential: credential }).expect(422);
    expect(whileSuspended.body.checks.find((c: { id: string }) => c.id === 'status')).toMatchObject({ valid: false, error: 'suspended' });
    await request(t.app).post(`/admin/api/credentials/${uuid}/status`).set('authorization', `Bearer ${ADMIN}`).send({ action: 'unsuspend', reason: 'Cleared' }).expect(200);
    await request(t.app).post(`/admin/api/credentials/${uuid}/status`).set('authorization', `Bearer ${ADMIN}`).send({ action: 'revoke', reason: 'Issued in error' }).expect(200);
    const revoked = await request(t.app).post('/credentials/verify').send({ verifiableCredential: credential }).expect(422);
    expect(revoked.body.verified).toBe(false);
    expect(revoked.body.checks.find((c: { id: string }) => c.id === 'status')).toMatchObject({ valid: false, error: 'revoked' });
    const page = await request(t.app).get(`/credentials/${uuid}?lang=en`).expect(200);
    // The page names the state (issue 13), not a generic "did not pass verification".
    expect(page.text).toContain('This credential has been revoked');
    expect(page.text).toContain('Reason: Issued in error');
    expect(page.text).toContain('the issuer revoked it');
    const again = await request(t.app).post(`/admin/api/credentials/${uuid}/status`).set('authorization', `Bearer ${ADMIN}`).send({ purpose: 'revocation', value: false, reason: 'undo' }).expect(409);
    expect(again.body.code).toBe('status_change_conflict');
  });
});
