/**
 * `POST /credentials/issue` against the specifications, for a did:key and a did:web
 * issuer: VC Data Model 2.0 (https://www.w3.org/TR/vc-data-model-2.0/), Data Integrity
 * with eddsa-rdfc-2022 (https://www.w3.org/TR/vc-di-eddsa/) and the VC API
 * (https://w3c-ccg.github.io/vc-api/#issue-credential). Written from the specifications'
 * MUST statements: a valid credential is signed as given (only what the issuer may add is
 * added) and verifies; each violation is a 400 naming it, and nothing is stored.
 */
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateOb3Schema } from '../../src/credentials/schema.ts';
import { hashedEmailIdentity } from '../../src/credentials/recipient-identifier.ts';
import { CHAIN_REFERENCE_IDENTIFIER_TYPE } from '../../src/credentials/chain-reference.ts';
import { credentialHash } from '../../src/credentials/credential-hash.ts';
import { createAnchorBatch, listBatchLeaves } from '../../src/storage/anchor-batch-repository.ts';
import { createIssuerRepository } from '../../src/storage/issuer-repository.ts';
import { makeDidKeyIssuer } from '../unit/credentials/fixtures.ts';
import { ADMIN, CHAIN, makeCredentialsApp } from './credentials-fixture.ts';
import { createUser } from './chain-support.ts';

const VC_V2 = 'https://www.w3.org/ns/credentials/v2';
const OB_V3 = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
/** An inline context (VC 2.0 §4.3 allows objects after the first URL) defining the claims below. */
const DEGREE_CONTEXT = { degree: 'https://uni.example/vocab#degree', major: 'https://uni.example/vocab#major' };

type Json = Record<string, unknown>;
type App = Awaited<ReturnType<typeof makeCredentialsApp>>;

/** A minimal valid VC 2.0 credential with one claim, issuer left to the service. */
function plainCredential(overrides: Json = {}): Json {
  return {
    '@context': [VC_V2, DEGREE_CONTEXT],
    type: ['VerifiableCredential'],
    credentialSubject: { id: 'did:example:ebfeb1f712ebc6f1c276e12ec21', degree: 'Bachelor of Science' },
    ...overrides,
  };
}

/** An OB 3.0 credential whose recipient is known only by a hashed, salted email. */
function openBadge(overrides: Json = {}, subject: Json = {}): Json {
  return {
    '@context': [VC_V2, OB_V3],
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name: 'Data Literacy',
    credentialSubject: {
      type: ['AchievementSubject'],
      identifier: [hashedEmailIdentity({ email: 'ana@example.edu', salt: 'salt-0123' })],
      achievement: {
        id: 'https://partner.example/achievements/data-literacy',
        type: ['Achievement'],
        name: 'Data Literacy',
        description: 'Reads, questions and explains data.',
        criteria: { narrative: 'Pass the final project.' },
      },
      ...subject,
    },
    ...overrides,
  };
}

async function count(t: App, table: 'credentials' | 'achievements' | 'status_list_entries'): Promise<number> {
  return (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
}

for (const method of ['key', 'web'] as const) {
  describe(`the VC API issuer with a did:${method} issuer`, () => {
    let t: App;
    let did: string;
    const issue = (credential: unknown, options?: Json) =>
      request(t.app).post('/credentials/issue').set('authorization', `Bearer ${ADMIN}`).set('accept', 'application/json').send({ credential, ...(options ? { options } : {}) });
    const verify = (credential: unknown) => request(t.app).post('/credentials/verify').send({ verifiableCredential: credential });

    beforeAll(async () => {
      t = await makeCredentialsApp({ env: { ISSUER_DID_METHOD: method } });
      did = await t.keys.issuerDid(t.issuer);
      expect(did.startsWith(`did:${method}:`)).toBe(true);
    });
    afterAll(() => t.close());

    it('signs a plain VC 2.0 credential as given, adding only the issuer, the status entry and an eddsa-rdfc-2022 proof, and it verifies', async () => {
      const validFrom = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const given = plainCredential({ id: 'urn:uuid:0f5b7a52-3c1e-4d7a-9b2e-6a4f1c8d9e01', name: 'Bachelor degree', validFrom });
      const res = await issue(given, { created: '2026-01-02T03:04:05Z' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const issued = res.body.verifiableCredential as Json;
      expect(issued).toMatchObject(given);
      expect(issued.issuer).toBe(did);
      expect(issued.credentialStatus).toMatchObject({ type: 'BitstringStatusListEntry', statusPurpose: 'revocation' });
      expect(issued.proof).toEqual([
        expect.objectContaining({
          type: 'DataIntegrityProof',
          cryptosuite: 'eddsa-rdfc-2022',
          proofPurpose: 'assertionMethod',
          created: '2026-01-02T03:04:05Z',
          verificationMethod: expect.stringMatching(new RegExp(`^${did.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}#`)),
          proofValue: expect.stringMatching(/^z/),
        }),
      ]);
      expect(Object.keys(issued).sort()).toEqual([...Object.keys(given), 'issuer', 'credentialStatus', 'proof'].sort());
      expect(res.headers.location).toBe(`${t.config.publicUrl}/credentials/0f5b7a52-3c1e-4d7a-9b2e-6a4f1c8d9e01`);

      const verified = await verify(issued);
      expect(verified.status, JSON.stringify(verified.body.checks)).toBe(200);
      expect(verified.body.checks.find((check: { id: string }) => check.id === 'schema')).toMatchObject({ valid: true });
      const served = await request(t.app).get('/credentials/0f5b7a52-3c1e-4d7a-9b2e-6a4f1c8d9e01.json').expect(200);
      expect(JSON.parse(served.text)).toEqual(issued);
    });

    it('adds no id and no validFrom to a plain credential that has none, and records it under an id of its own', async () => {
      const res = await issue(plainCredential());
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const issued = res.body.verifiableCredential as Json;
      expect(issued.id).toBeUndefined();
      expect(issued.validFrom).toBeUndefined();
      const served = await request(t.app).get(`${new URL(res.headers.location).pathname}.json`).expect(200);
      expect(JSON.parse(served.text)).toEqual(issued);
      expect((await verify(issued)).status).toBe(200);
    });

    it('signs an OB 3.0 credential whose subject is only a hashed IdentityObject, adding the issuer Profile with the chain reference', async () => {
      const res = await issue(openBadge());
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const issued = res.body.verifiableCredential as Json & { issuer: Json; credentialSubject: Json };
      expect(issued.id).toMatch(/^urn:uuid:/);
      expect(issued.validFrom).toEqual(expect.any(String));
      expect(issued.issuer).toMatchObject({ id: did, type: ['Profile'], name: 'Universidad de Ejemplo' });
      expect(issued.issuer.otherIdentifier).toContainEqual({
        type: 'IdentifierEntry',
        identifier: `eip155:${CHAIN.chainId}:${CHAIN.contract}`,
        identifierType: CHAIN_REFERENCE_IDENTIFIER_TYPE,
      });
      expect(issued.credentialSubject).toEqual(openBadge().credentialSubject);
      expect(validateOb3Schema(issued)).toEqual({ valid: true, errors: [] });
      const verified = await verify(issued);
      expect(verified.status, JSON.stringify(verified.body.checks)).toBe(200);
    });

    it('finds an achievement sent by id again instead of creating another', async () => {
      expect((await issue(openBadge())).status).toBe(201);
      const before = await count(t, 'achievements');
      expect((await issue(openBadge())).status).toBe(201);
      // Sello's own request shape finds it by the same id.
      const achievement = (openBadge().credentialSubject as Json).achievement;
      expect((await issue({ credentialSubject: { achievement } }, { recipient: { email: 'beto@example.edu' } })).status).toBe(201);
      expect(await count(t, 'achievements')).toBe(before);
      const rows = await t.db.query<{ n: number }>(
        `SELECT count(DISTINCT c.achievement_id)::int AS n FROM credentials c JOIN achievements a ON a.id = c.achievement_id WHERE a.name = 'Data Literacy'`,
      );
      expect(rows.rows[0]!.n).toBe(1);
    });

    it("fills a submitted Open Badge's achievement and recipient from Sello's options", async () => {
      const { credentialSubject: _dropped, ...rest } = openBadge();
      const res = await issue({ ...rest, credentialSubject: { type: ['AchievementSubject'] } }, {
        achievementId: t.achievement.id,
        recipient: { email: 'ana@example.edu', name: 'Ana Pérez' },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const subject = res.body.verifiableCredential.credentialSubject;
      expect(subject).toMatchObject({ name: 'Ana Pérez', achievement: { id: `${t.config.publicUrl}/achievements/${t.achievement.id}`, name: 'Python Basics' } });
      expect(subject.identifier[0]).toMatchObject({ type: 'IdentityObject', hashed: true, identityType: 'emailAddress' });
      expect((await verify(res.body.verifiableCredential)).status).toBe(200);
    });

    it('puts a submitted credential in the next anchoring batch, like every credential Sello issues', async () => {
      const plain = (await issue(plainCredential())).body.verifiableCredential as Json;
      const badge = (await issue(openBadge())).body.verifiableCredential as Json;
      const batch = await t.db.transaction((tx) => createAnchorBatch(tx, { chainId: CHAIN.chainId, contractAddress: CHAIN.contract, size: 10_000 }));
      expect(batch).not.toBeNull();
      expect(await listBatchLeaves(t.db, batch!.id)).toEqual(expect.arrayContaining([credentialHash(plain), credentialHash(badge)]));
    });

    it('refuses a credential naming another issuer with 403 credential_issuer_forbidden, storing nothing', async () => {
      const before = await count(t, 'credentials');
      const stranger = (await makeDidKeyIssuer()).controller;
      for (const issuer of [stranger, 'did:web:another-university.example', { id: 'https://another-university.example', name: 'Another' }]) {
        const res = await issue(plainCredential({ issuer }));
        expect(res.status, JSON.stringify(issuer)).toBe(403);
        expect(res.body.code).toBe('credential_issuer_forbidden');
      }
      expect((await issue(openBadge({ issuer: { id: stranger, type: ['Profile'] } }))).body.code).toBe('credential_issuer_forbidden');
      expect(await count(t, 'credentials')).toBe(before);
    });

    it('signs a credential naming its own DID as issuer, as a string or a Profile', async () => {
      const asString = await issue(plainCredential({ issuer: did }));
      expect(asString.status, JSON.stringify(asString.body)).toBe(201);
      expect(asString.body.verifiableCredential.issuer).toBe(did);
      const asProfile = await issue(openBadge({ issuer: { id: did, type: ['Profile'], name: 'Escuela de Datos' } }));
      expect(asProfile.status, JSON.stringify(asProfile.body)).toBe(201);
      expect(asProfile.body.verifiableCredential.issuer).toMatchObject({ id: did, name: 'Escuela de Datos', url: 'https://uni.example' });
    });

    it("signs as a tenant of the deployment when the credential names the tenant's DID", async () => {
      const tenant = await createIssuerRepository(t.db).upsert({
        slug: `escuela-${method}`,
        name: 'Escuela de Datos',
        url: 'https://escuela.example',
        email: null,
        imageUrl: null,
        description: null,
        didMethod: method,
      });
      const tenantDid = await t.keys.issuerDid(tenant);
      expect(tenantDid).not.toBe(did);
      const res = await issue(openBadge({ issuer: { id: tenantDid, type: ['Profile'] } }));
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.verifiableCredential.issuer).toMatchObject({ id: tenantDid, name: 'Escuela de Datos' });
      const stored = await t.db.query<{ issuer_id: string }>('SELECT issuer_id FROM credentials WHERE id = $1', [res.body.verifiableCredential.id]);
      expect(stored.rows[0]!.issuer_id).toBe(tenant.id);
      const verified = await verify(res.body.verifiableCredential);
      expect(verified.status, JSON.stringify(verified.body.checks)).toBe(200);
    });

    it('revokes a submitted credential through its status entry like any other', async () => {
      const res = await issue(plainCredential({ id: 'https://uni.example/credentials/3732' }));
      expect(res.status).toBe(201);
      const uuid = new URL(res.headers.location).pathname.split('/').pop()!;
      await request(t.app).post(`/admin/api/credentials/${uuid}/status`).set('authorization', `Bearer ${ADMIN}`).send({ action: 'revoke', reason: 'Issued in error' }).expect(200);
      const revoked = await verify(res.body.verifiableCredential);
      expect(revoked.status).toBe(422);
      expect(revoked.body.checks.find((check: { id: string }) => check.id === 'status')).toMatchObject({ valid: false, error: 'revoked' });
    });

    it('serves the verification page and baked badge of a credential that is not an Open Badge', async () => {
      const res = await issue(plainCredential({ name: 'Bachelor degree' }));
      const page = await request(t.app).get(`${new URL(res.headers.location).pathname}?lang=en`).expect(200);
      expect(page.text).toContain('Verified credential');
      await request(t.app).get(`${new URL(res.headers.location).pathname}/badge.svg`).expect(200);
    });

    const violations: Array<[string, () => Json, string]> = [
      ['no @context (§4.3)', () => { const { ['@context']: _c, ...rest } = plainCredential(); return { ...rest, type: ['VerifiableCredential'] }; }, 'invalid_credential_context'],
      ['a first @context other than the VC v2 URL (§4.3)', () => plainCredential({ '@context': [OB_V3, VC_V2] }), 'invalid_credential_context'],
      ['an @context item that is neither a URL nor an object (§4.3)', () => plainCredential({ '@context': [VC_V2, 42] }), 'invalid_credential_context'],
      ['no type (§4.5)', () => { const { type: _t, ...rest } = plainCredential(); return rest; }, 'invalid_credential_type'],
      ['a type without VerifiableCredential (§4.5)', () => plainCredential({ type: ['OpenBadgeCredential'] }), 'invalid_credential_type'],
      ['an id that is not a URL (§4.4)', () => plainCredential({ id: 'not a url' }), 'invalid_credential_id'],
      ['two ids (§4.4)', () => plainCredential({ id: ['urn:uuid:1', 'urn:uuid:2'] }), 'invalid_credential_id'],
      ['an issuer that is not a URL (§4.7)', () => plainCredential({ issuer: 'not a url' }), 'invalid_credential_issuer'],
      ['an issuer object without id (§4.7)', () => plainCredential({ issuer: { name: 'Uni' } }), 'invalid_credential_issuer'],
      ['no credentialSubject (§4.8)', () => { const { credentialSubject: _s, ...rest } = plainCredential(); return rest; }, 'invalid_credential_subject'],
      ['an empty credentialSubject (§4.8)', () => plainCredential({ credentialSubject: {} }), 'invalid_credential_subject'],
      ['a credentialSubject with no subjects (§4.8)', () => plainCredential({ credentialSubject: [] }), 'invalid_credential_subject'],
      ['a subject id that is not a URL (§4.8)', () => plainCredential({ credentialSubject: { id: 'ana', degree: 'BSc' } }), 'invalid_credential_subject'],
      ['a validFrom without time (§4.9)', () => plainCredential({ validFrom: '2026-01-01' }), 'invalid_credential_date'],
      ['a validFrom without time zone (§4.9)', () => plainCredential({ validFrom: '2026-01-01T00:00:00' }), 'invalid_credential_date'],
      ['a validUntil on a day that does not exist (§4.9)', () => plainCredential({ validUntil: '2026-02-30T00:00:00Z' }), 'invalid_credential_date'],
      ['a validUntil that is not a date (§4.9)', () => plainCredential({ validUntil: 'tomorrow' }), 'invalid_credential_date'],
      ['a validUntil before validFrom (§4.9)', () => plainCredential({ validFrom: '2026-06-01T00:00:00Z', validUntil: '2026-01-01T00:00:00Z' }), 'invalid_credential_validity_period'],
      ['a credentialStatus without type (§4.10)', () => plainCredential({ credentialStatus: { id: 'https://uni.example/status/1#5' } }), 'invalid_credential_status'],
      ['a credentialSchema without id (§4.11)', () => plainCredential({ credentialSchema: { type: 'JsonSchema' } }), 'invalid_credential_property'],
      ['a name that is neither a string nor a language value (§4.6)', () => plainCredential({ name: 42 }), 'invalid_credential_property'],
      ['an evidence without type (§5.6)', () => plainCredential({ evidence: [{ id: 'https://uni.example/evidence/1' }] }), 'invalid_credential_property'],
      ['a relatedResource without digest (§5.3)', () => plainCredential({ relatedResource: [{ id: 'https://uni.example/logo.png' }] }), 'invalid_credential_property'],
      ['a proof already (VC API: the issuer adds it)', () => plainCredential({ proof: { type: 'DataIntegrityProof' } }), 'invalid_credential_proof'],
      ['a property no context defines (JSON-LD safe mode)', () => plainCredential({ favouriteColour: 'blue' }), 'credential_jsonld_invalid'],
      ['a subject claim no context defines', () => plainCredential({ credentialSubject: { id: 'did:example:1', favouriteColour: 'blue' } }), 'credential_jsonld_invalid'],
      ['a type no context defines', () => plainCredential({ type: ['VerifiableCredential', 'UndefinedCredential'] }), 'credential_jsonld_invalid'],
      ['a context Sello does not have', () => plainCredential({ '@context': [VC_V2, 'https://contexts.example/unknown/v1'] }), 'unknown_context'],
      ['the VC 2.0 examples context, which no npm package ships (README)', () => plainCredential({ '@context': [VC_V2, 'https://www.w3.org/ns/credentials/examples/v2'] }), 'unknown_context'],
      ['a VC Data Model 1.1 credential (§4.3: the first context is the v2 URL; Sello issues VC 2.0)', () => ({ '@context': ['https://www.w3.org/2018/credentials/v1'], type: ['VerifiableCredential'], issuanceDate: '2026-01-01T00:00:00Z', credentialSubject: { id: 'did:example:1' } }), 'invalid_credential_context'],
      ['two relatedResource entries with the same id (§5.3: unique in the list)', () => plainCredential({ relatedResource: [{ id: 'https://uni.example/logo.png', digestSRI: 'sha384-NSOcNpmdIVUxIJGvGUoe22FjTWrXiaXlsZ8q6912LdnR3KraQO2n75Ica4wK4Qeg' }, { id: 'https://uni.example/logo.png', digestMultibase: 'uEiBZlVztZpfWHgPyslVv6-UwirFoQoRvW1htfx963sknNA' }] }), 'invalid_credential_property'],
      ['a relatedResource that is a bare URL string (§5.3: objects)', () => plainCredential({ relatedResource: ['https://uni.example/logo.png'] }), 'invalid_credential_property'],
      ['an Open Badge whose subject has neither id nor identifier (OB 3.0)', () => openBadge({}, { identifier: undefined }), 'invalid_credential_subject'],
      ['an Open Badge without achievement (OB 3.0 schema)', () => openBadge({}, { achievement: undefined }), 'invalid_open_badge_credential'],
      ['an Open Badge whose subject is a list (OB 3.0)', () => openBadge({ credentialSubject: [openBadge().credentialSubject] }), 'invalid_credential_subject'],
    ];

    it.each(violations)('refuses %s with 400 and its code, storing nothing', async (_name, credential, code) => {
      const before = await Promise.all([count(t, 'credentials'), count(t, 'status_list_entries')]);
      const res = await issue(JSON.parse(JSON.stringify(credential())));
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body).toMatchObject({ code, message: expect.any(String) });
      expect(await Promise.all([count(t, 'credentials'), count(t, 'status_list_entries')])).toEqual(before);
    });

    it('names the undefined term that makes JSON-LD signing fail', async () => {
      const res = await issue(plainCredential({ favouriteColour: 'blue' }));
      expect(res.body).toMatchObject({ code: 'credential_jsonld_invalid', details: { problem: 'invalid_property', term: 'favouriteColour' } });
      const context = await issue(plainCredential({ '@context': [VC_V2, 'https://contexts.example/unknown/v1'] }));
      expect(context.body).toMatchObject({ code: 'unknown_context', details: { problem: 'unknown_context', url: 'https://contexts.example/unknown/v1' } });
      const v11 = await issue({ '@context': ['https://www.w3.org/2018/credentials/v1'], type: ['VerifiableCredential'], issuanceDate: '2026-01-01T00:00:00Z', credentialSubject: { id: 'did:example:1' } });
      expect(v11.body.message).toContain('VC Data Model 1.1');
    });

    it('accepts every issue option the VC API defines, and refuses options it does not know', async () => {
      const res = await issue(plainCredential(), {
        created: '2026-02-03T04:05:06Z',
        credentialId: 'urn:uuid:6d1f3a2b-5c4e-4f7a-8b9c-0d1e2f3a4b5c',
        challenge: 'c-1',
        domain: 'issuer.example',
        mandatoryPointers: ['/issuer'],
        credentialStatus: { type: 'BitstringStatusListEntry' },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.verifiableCredential).toMatchObject({ id: 'urn:uuid:6d1f3a2b-5c4e-4f7a-8b9c-0d1e2f3a4b5c', proof: [{ created: '2026-02-03T04:05:06Z' }] });
      const unknown = await issue(plainCredential(), { colour: 'blue' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.code).toBe('invalid_request');
      const otherStatus = await issue(plainCredential(), { credentialStatus: { type: 'StatusList2021Entry' } });
      expect(otherStatus.status).toBe(400);
      expect(otherStatus.body.code).toBe('invalid_issue_options');
      const badCreated = await issue(plainCredential(), { created: 'yesterday' });
      expect(badCreated.status).toBe(400);
    });

    it(`${method === 'web' ? 'refuses' : 'signs'} a validFrom from before the issuer's key existed (${method === 'web' ? 'a did:web key publishes its validity' : 'a did:key has none'})`, async () => {
      const res = await issue(plainCredential({ validFrom: '2020-01-01T00:00:00Z' }));
      if (method === 'web') {
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ code: 'invalid_credential_date', details: { path: 'validFrom' } });
      } else {
        expect(res.status).toBe(201);
        expect((await verify(res.body.verifiableCredential)).status).toBe(200);
      }
    });

    it('refuses a second credential with an id Sello already issued with 409 credential_id_conflict', async () => {
      const id = 'urn:uuid:2b0a8c8e-1f57-4a62-9d0b-3c7e5f1a9b42';
      expect((await issue(plainCredential({ id }))).status).toBe(201);
      const again = await issue(plainCredential({ id, name: 'Another' }));
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ code: 'credential_id_conflict', details: { id } });
    });

    it('signs the same credential twice within one second: both 201 with the one signed credential, one record, never a 500', async () => {
      // VC DM 2.0 §4.10 lets a credential carry its own credentialStatus; with it and no
      // urn:uuid id, Sello adds nothing that differs between two requests, and a proof's
      // `created` has no part finer than the second (VC API: the issuer answers a valid
      // request with the signed credential; the W3C VC 2.0 suite sends this one twice).
      const given = plainCredential({
        '@context': [VC_V2, { ...DEGREE_CONTEXT, CredentialStatusList2017: 'https://uni.example/vocab#CredentialStatusList2017' }],
        credentialStatus: { id: 'https://uni.example/status/24#3', type: 'CredentialStatusList2017' },
      });
      const before = await count(t, 'credentials');
      const first = await issue(given, { created: '2026-03-04T05:06:07Z' });
      const second = await issue(given, { created: '2026-03-04T05:06:07Z' });
      expect(first.status, JSON.stringify(first.body)).toBe(201);
      expect(second.status, JSON.stringify(second.body)).toBe(201);
      expect(second.body.verifiableCredential).toEqual(first.body.verifiableCredential);
      expect(second.headers.location).toBe(first.headers.location);
      expect(await count(t, 'credentials')).toBe(before + 1);
      const checks = (await verify(second.body.verifiableCredential)).body.checks as { id: string; valid: boolean }[];
      expect(checks.find((check) => check.id === 'signature')).toMatchObject({ valid: true });
    });

    it('does not answer a repeated credential recorded for another recipient with that record: 409, and the record keeps its recipient', async () => {
      // The same signed document (options.created fixes the proof's second) sent again with
      // another options.recipient.userId: the document does not carry the user id, so the
      // hash matches. Answering 201 with the first record told the caller the credential was
      // bound to the second user when it stayed bound to the first.
      const first = await createUser(t.db, { issuerId: t.issuer.id });
      const second = await createUser(t.db, { issuerId: t.issuer.id });
      const given = plainCredential({
        '@context': [VC_V2, { ...DEGREE_CONTEXT, CredentialStatusList2017: 'https://uni.example/vocab#CredentialStatusList2017' }],
        credentialStatus: { id: 'https://uni.example/status/24#4', type: 'CredentialStatusList2017' },
      });
      const issued = await issue(given, { created: '2026-03-04T05:06:08Z', recipient: { userId: first } });
      expect(issued.status, JSON.stringify(issued.body)).toBe(201);
      const again = await issue(given, { created: '2026-03-04T05:06:08Z', recipient: { userId: second } });
      expect(again.status, JSON.stringify(again.body)).toBe(409);
      expect(again.body).toMatchObject({ code: 'credential_id_conflict' });
      const unbound = await issue(given, { created: '2026-03-04T05:06:08Z' });
      expect(unbound.status, JSON.stringify(unbound.body)).toBe(409);
      const records = await t.db.query<{ recipient_user_id: string | null }>('SELECT recipient_user_id FROM credentials WHERE hash = $1', [credentialHash(issued.body.verifiableCredential as Json)]);
      expect(records.rows).toEqual([{ recipient_user_id: first }]);
      // The very same request again is still answered with its record.
      const same = await issue(given, { created: '2026-03-04T05:06:08Z', recipient: { userId: first } });
      expect(same.status, JSON.stringify(same.body)).toBe(201);
      expect(same.headers.location).toBe(issued.headers.location);
    });

    it('answers 404 user_not_found for an options.recipient.userId no user has, in both request shapes, and stores nothing', async () => {
      // The credentials' recipient_user_id references users: the insert's foreign key
      // refused it, and the caller got a 500 after the signing.
      const before = await count(t, 'credentials');
      const unknown = '00000000-0000-4000-8000-00000000beef';
      const submitted = await issue(plainCredential(), { recipient: { userId: unknown } });
      expect(submitted.status, JSON.stringify(submitted.body)).toBe(404);
      expect(submitted.body).toMatchObject({ code: 'user_not_found', details: { userId: unknown } });
      const sellos = await issue({}, { achievementId: t.achievement.id, recipient: { userId: unknown, email: 'ana@example.edu' } });
      expect(sellos.status, JSON.stringify(sellos.body)).toBe(404);
      expect(sellos.body).toMatchObject({ code: 'user_not_found' });
      expect(await count(t, 'credentials')).toBe(before);
    });

    it('answers 422 for an issued credential that was changed, and 400 for a body that is not a credential (verify side)', async () => {
      const issued = (await issue(plainCredential())).body.verifiableCredential as Json;
      const tampered = { ...issued, credentialSubject: { id: 'did:example:ebfeb1f712ebc6f1c276e12ec21', degree: 'Doctor of Philosophy' } };
      const changed = await verify(tampered);
      expect(changed.status).toBe(422);
      expect(changed.body.checks.find((check: { id: string }) => check.id === 'signature')).toMatchObject({ valid: false });
      const { proof: _proof, ...unsigned } = issued;
      expect((await verify(unsigned)).status).toBe(422);
      const { type: _type, ...untyped } = issued;
      expect((await verify(untyped)).status).toBe(400);
      const badDates = await verify({ ...issued, validFrom: '2026-01-01' });
      expect(badDates.status).toBe(422);
      expect(badDates.body.checks.find((check: { id: string }) => check.id === 'schema')).toMatchObject({ valid: false });
    });
  });
}

describe('the VC API issuer under arbitrary input', () => {
  let t: App;
  beforeAll(async () => {
    t = await makeCredentialsApp({ env: { ISSUER_DID_METHOD: 'key' } });
  });
  afterAll(() => t.close());

  const json = fc.jsonValue({ maxDepth: 3 });
  const keys = ['@context', 'id', 'type', 'issuer', 'name', 'description', 'validFrom', 'validUntil', 'credentialSubject', 'credentialStatus', 'credentialSchema', 'evidence', 'proof', 'relatedResource'];
  const subjectKeys = ['id', 'type', 'name', 'identifier', 'achievement', 'degree'];
  /** A valid credential with some properties (top level or in the subject) replaced by arbitrary JSON or removed. */
  const mutated = fc
    .record({
      base: fc.constantFrom('plain', 'badge'),
      top: fc.dictionary(fc.constantFrom(...keys), fc.option(json, { nil: undefined }), { maxKeys: 3 }),
      subject: fc.dictionary(fc.constantFrom(...subjectKeys), fc.option(json, { nil: undefined }), { maxKeys: 2 }),
    })
    .map(({ base, top, subject }) => {
      const credential = base === 'plain' ? plainCredential() : openBadge();
      const withSubject = { ...credential, credentialSubject: { ...(credential.credentialSubject as Json), ...subject } };
      return JSON.parse(JSON.stringify({ ...withSubject, ...top })) as Json;
    });

  const achievementKeys = ['id', 'name', 'description', 'criteria', 'image', 'achievementType'];
  /** Sello's own request shape with a described achievement, some of its fields arbitrary. */
  const selloShape = fc.dictionary(fc.constantFrom(...achievementKeys), fc.option(json, { nil: undefined }), { maxKeys: 3 }).map(
    (fields) => JSON.parse(JSON.stringify({ credentialSubject: { achievement: { name: 'Taller de Git', criteria: { narrative: 'Asistir' }, ...fields } } })) as Json,
  );

  it("answers any described achievement in Sello's own shape with 201 or a 4xx and a code, never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(selloShape, async (credential) => {
        const res = await request(t.app)
          .post('/credentials/issue')
          .set('authorization', `Bearer ${ADMIN}`)
          .set('accept', 'application/json')
          .send({ credential, options: { recipient: { email: 'ana@example.edu' } } });
        expect(res.status, `${JSON.stringify(credential)} → ${JSON.stringify(res.body)}`).toBeLessThan(500);
        if (res.status !== 201) expect(res.body.code).toEqual(expect.any(String));
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it('answers any mutation of a valid credential with 201 or a 4xx and a code, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(mutated, async (credential) => {
        const res = await request(t.app).post('/credentials/issue').set('authorization', `Bearer ${ADMIN}`).set('accept', 'application/json').send({ credential });
        expect(res.status, `${JSON.stringify(credential)} → ${JSON.stringify(res.body)}`).toBeLessThan(500);
        if (res.status !== 201) expect(res.body.code).toEqual(expect.any(String));
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
