/**
 * Issuer keys over the real app: rotation with did:web and did:key, what it does to the
 * status lists of credentials issued before it, and revoking a key.
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSello } from '../../src/server.ts';
import { makeTempDir, testConfig } from '../support/config.ts';
import { openTestDatabase } from '../support/database.ts';
import { listMigrations, migrate } from '../../src/storage/migrate.ts';
import { verifyCredential, type VerificationReport } from '../../src/credentials/verify.ts';
import { createDocumentLoader, resolveDidKeyOnly } from '../../src/credentials/document-loader.ts';
import { createAuditRepository } from '../../src/storage/audit-repository.ts';
import { ADMIN, makeCredentialsApp } from './credentials-fixture.ts';

type App = Awaited<ReturnType<typeof makeCredentialsApp>>;
type Credential = Record<string, unknown> & { issuer: { id: string }; credentialStatus: { statusListCredential: string } };

const admin = { authorization: `Bearer ${ADMIN}` };

async function issue(t: App): Promise<Credential> {
  const res = await request(t.app)
    .post('/credentials/issue')
    .set(admin)
    .send({ options: { achievementId: t.achievement.id, recipient: { email: 'ana@example.edu', name: 'Ana Pérez' } } })
    .expect(201);
  return res.body.verifiableCredential as Credential;
}

/** The server's own verification endpoint: 200 when verified, 422 with the same report when not (VC API). */
async function verifiedByServer(t: App, credential: Credential): Promise<VerificationReport> {
  const res = await request(t.app).post('/credentials/verify').send({ verifiableCredential: credential });
  expect(res.status).toBe(res.body.verified ? 200 : 422);
  return res.body as VerificationReport;
}

/**
 * A verifier outside Sello, as `sello verify` does it: did:key by computation, did:web
 * from the served DID document, status lists fetched from `/status/…`.
 */
async function verifiedFromOutside(t: App, credential: Credential): Promise<VerificationReport> {
  return verifyCredential(credential, {
    documentLoader: createDocumentLoader({
      resolveDid: async (did) => (did.startsWith('did:key:') ? resolveDidKeyOnly(did) : (await request(t.app).get('/.well-known/did.json').expect(200)).body),
    }),
    statusListLoader: async (url) => {
      const res = await request(t.app).get(new URL(url).pathname);
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      return JSON.parse(res.text);
    },
  });
}

async function expectVerifiedInAndOutsideSello(t: App, credentials: Credential[]) {
  for (const credential of credentials) {
    expect(failing(await verifiedByServer(t, credential))).toEqual([]);
    expect(failing(await verifiedFromOutside(t, credential))).toEqual([]);
  }
}

function failing(report: VerificationReport) {
  return report.checks.filter((check) => !check.valid).map((check) => ({ id: check.id, error: check.error }));
}

async function statusList(t: App, credential: Credential) {
  return JSON.parse((await request(t.app).get(new URL(credential.credentialStatus.statusListCredential).pathname).expect(200)).text) as {
    issuer: string;
    proof: Array<{ verificationMethod: string }>;
  };
}

function signingMethod(credential: Credential): string {
  return (credential.proof as Array<{ verificationMethod: string }>)[0]!.verificationMethod;
}

function revokeKey(t: App, body: { keyId?: string; reason?: string }) {
  return request(t.app).post('/admin/api/issuers/default/keys/revoke').set(admin).send(body);
}

/** The scenario of most tests here: a credential issued, the issuer key rotated, another credential issued. */
async function issuedAcrossRotation(t: App, beforeRotating: (before: Credential) => Promise<void> = async () => {}) {
  const before = await issue(t);
  await beforeRotating(before);
  await request(t.app).post('/admin/api/issuers/default/keys/rotate').set(admin).send({ reason: 'rotation' }).expect(201);
  return { before, after: await issue(t) };
}

async function revoke(t: App, credential: Credential) {
  const uuid = String(credential.id).replace('urn:uuid:', '');
  await request(t.app).post(`/admin/api/credentials/${uuid}/status`).set(admin).send({ action: 'revoke', reason: 'Issued in error' }).expect(200);
}

describe('a did:key issuer across a key rotation', () => {
  let t: App;
  let before: Credential;
  let after: Credential;
  beforeAll(async () => {
    t = await makeCredentialsApp({ env: { ISSUER_DID_METHOD: 'key' } });
    ({ before, after } = await issuedAcrossRotation(t));
  });
  afterAll(() => t.close());

  it('gives credentials issued after the rotation the new DID', () => {
    expect(before.issuer.id).toMatch(/^did:key:z6Mk/);
    expect(after.issuer.id).toMatch(/^did:key:z6Mk/);
    expect(after.issuer.id).not.toBe(before.issuer.id);
  });

  it('signs the status list of older credentials with the key of their own DID', async () => {
    const list = await statusList(t, before);
    expect(list.issuer).toBe(before.issuer.id);
    expect(list.proof[0]!.verificationMethod.split('#')[0]).toBe(before.issuer.id);
  });

  it('puts credentials issued after the rotation on lists of the new DID', async () => {
    expect(after.credentialStatus.statusListCredential).not.toBe(before.credentialStatus.statusListCredential);
    expect((await statusList(t, after)).issuer).toBe(after.issuer.id);
  });

  it('verifies credentials from both sides of the rotation, in Sello and outside it', async () => {
    await expectVerifiedInAndOutsideSello(t, [before, after]);
  });

  it('flips the status check of a credential issued before the rotation when it is revoked after it', async () => {
    await revoke(t, before);
    for (const report of [await verifiedByServer(t, before), await verifiedFromOutside(t, before)]) {
      expect(report.verified).toBe(false);
      expect(failing(report)).toEqual([{ id: 'status', error: 'revoked' }]);
    }
    expect(failing(await verifiedFromOutside(t, after))).toEqual([]);
  });
});

describe('a did:web issuer across a key rotation', () => {
  let t: App;
  let before: Credential;
  let after: Credential;
  let oldMethod: string;
  beforeAll(async () => {
    t = await makeCredentialsApp();
    ({ before, after } = await issuedAcrossRotation(t, async (issued) => {
      // Served (and cached) once before the rotation, signed by the old key.
      oldMethod = (await statusList(t, issued)).proof[0]!.verificationMethod;
    }));
  });
  afterAll(() => t.close());

  it('keeps the DID, and new credentials keep filling the same lists', () => {
    expect(after.issuer.id).toBe(before.issuer.id);
    expect(after.credentialStatus.statusListCredential).toBe(before.credentialStatus.statusListCredential);
  });

  it('signs the lists with the current key of the same DID after the rotation', async () => {
    const list = await statusList(t, before);
    const current = (await t.keys.list(t.issuer.id)).find((key) => key.validUntil === null)!;
    expect(list.issuer).toBe('did:web:localhost%3A3000');
    expect(list.proof[0]!.verificationMethod).toBe(current.keyId);
    expect(list.proof[0]!.verificationMethod).not.toBe(oldMethod);
  });

  it('verifies credentials from both sides of the rotation, and a revocation after it shows', async () => {
    await expectVerifiedInAndOutsideSello(t, [before, after]);
    await revoke(t, before);
    expect(failing(await verifiedFromOutside(t, before))).toEqual([{ id: 'status', error: 'revoked' }]);
    expect(failing(await verifiedByServer(t, after))).toEqual([]);
  });
});

describe('revoking a did:web issuer key', () => {
  let t: App;
  let before: Credential;
  let after: Credential;
  let oldKey: string;
  let keyChanges = 0;
  beforeAll(async () => {
    t = await makeCredentialsApp({ onKeysChanged: () => (keyChanges += 1) });
    before = await issue(t);
    oldKey = signingMethod(before);
  });
  afterAll(() => t.close());

  it('refuses to revoke the only current key with 409 current_key_revoke_conflict, changing nothing', async () => {
    const refused = await revokeKey(t, { keyId: oldKey, reason: 'key leaked' }).expect(409);
    expect(refused.body.code).toBe('current_key_revoke_conflict');
    expect(refused.body.message).toMatch(/rotate first/);
    expect((await t.keys.list(t.issuer.id)).map((key) => key.revoked)).toEqual([false]);
    expect(keyChanges).toBe(0);
  });

  it('asks for the admin token, a key id and a reason, and names an unknown key', async () => {
    await request(t.app).post('/admin/api/issuers/default/keys/revoke').send({ keyId: oldKey, reason: 'x' }).expect(401);
    expect((await revokeKey(t, { keyId: oldKey }).expect(400)).body.code).toBe('invalid_request');
    expect((await revokeKey(t, { reason: 'key leaked' }).expect(400)).body.code).toBe('invalid_request');
    expect((await revokeKey(t, { keyId: 'did:web:localhost%3A3000#key-nope', reason: 'key leaked' }).expect(404)).body.code).toBe('issuer_key_not_found');
  });

  it('revokes a key retired by rotation, and the DID document marks it revoked', async () => {
    await request(t.app).post('/admin/api/issuers/default/keys/rotate').set(admin).send({ reason: 'key leaked' }).expect(201);
    after = await issue(t);
    const res = await revokeKey(t, { keyId: oldKey, reason: 'key leaked' }).expect(200);
    expect(res.body).toMatchObject({ changed: true, key: { keyId: oldKey, revoked: true, revokedAt: expect.any(String) } });
    expect(keyChanges).toBe(2);
    const did = (await request(t.app).get('/.well-known/did.json').expect(200)).body;
    const method = did.verificationMethod.find((vm: { id: string }) => vm.id === oldKey);
    expect(method.revoked).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(did.assertionMethod).toEqual([signingMethod(after)]);
    expect(did.selloKeyValidity.find((entry: { id: string }) => entry.id === oldKey)).toMatchObject({ revoked: true });
  });

  it('fails issuer_key for credentials the revoked key signed, even those dated before the revocation', async () => {
    const revokedAt = new Date((await t.keys.list(t.issuer.id)).find((key) => key.keyId === oldKey)!.revokedAt!);
    expect(new Date(String(before.validFrom)) < revokedAt).toBe(true);
    for (const report of [await verifiedByServer(t, before), await verifiedFromOutside(t, before)]) {
      expect(report.verified).toBe(false);
      expect(report.checks.find((check) => check.id === 'issuer_key')).toMatchObject({ valid: false, error: 'key_revoked' });
      // Their status list is signed by the current key, so it still reads.
      expect(report.checks.find((check) => check.id === 'status')).toMatchObject({ valid: true });
    }
    expect(failing(await verifiedFromOutside(t, after))).toEqual([]);
  });

  it('audit-logs the revocation once; revoking the key again changes nothing', async () => {
    const again = await revokeKey(t, { keyId: oldKey, reason: 'again' }).expect(200);
    expect(again.body).toMatchObject({ changed: false, key: { revoked: true } });
    expect(keyChanges).toBe(2);
    const audit = (await createAuditRepository(t.db).listForSubject(t.issuer.id)).filter((entry) => entry.action === 'key.revoked');
    expect(audit).toMatchObject([{ actor: 'admin', reason: 'key leaked', details: { keyId: oldKey } }]);
  });
});

describe('revoking a did:key issuer key', () => {
  let t: App;
  let before: Credential;
  let after: Credential;
  beforeAll(async () => {
    t = await makeCredentialsApp({ env: { ISSUER_DID_METHOD: 'key' } });
    ({ before, after } = await issuedAcrossRotation(t));
    // By its public key, as `sello keys revoke` also accepts.
    await revokeKey(t, { keyId: before.issuer.id.slice('did:key:'.length), reason: 'key leaked' }).expect(200);
  });
  afterAll(() => t.close());

  it('fails issuer_key in Sello for credentials of the revoked DID', async () => {
    const report = await verifiedByServer(t, before);
    expect(report.verified).toBe(false);
    expect(report.checks.find((check) => check.id === 'issuer_key')).toMatchObject({ valid: false, error: 'key_revoked' });
    expect(failing(await verifiedByServer(t, after))).toEqual([]);
  });

  it('stops serving the status lists of the revoked DID, so verifiers elsewhere fail them too', async () => {
    const gone = await request(t.app).get(new URL(before.credentialStatus.statusListCredential).pathname).set('accept', 'application/json').expect(410);
    expect(gone.body.code).toBe('issuer_key_revoked');
    // The did:key method cannot say the key was revoked: the missing list is what fails it.
    expect(failing(await verifiedFromOutside(t, before))).toEqual([{ id: 'status', error: 'status_list_unreachable' }]);
    expect(failing(await verifiedFromOutside(t, after))).toEqual([]);
  });
});

describe('a running Sello and the chain key registry', () => {
  it('tells the registry of a key revoked through the admin API', async () => {
    const dataDir = makeTempDir();
    const sello = await startSello({ config: testConfig({ SELLO_DATA_DIR: dataDir, PORT: '0' }), announce: () => {} });
    try {
      const post = (path: string, body: object) =>
        fetch(`${sello.url}/admin/api/issuers/default/keys/${path}`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const listed = (await (await fetch(`${sello.url}/admin/api/issuers/default/keys`, { headers: admin })).json()) as { keys: Array<{ issuerDid: string; keyId: string }> };
      const retired = listed.keys[0]!;
      expect((await post('rotate', { reason: 'key leaked' })).status).toBe(201);
      expect((await post('revoke', { keyId: retired.keyId, reason: 'key leaked' })).status).toBe(200);
      const issuerKey = sello.chain.registry.getFunction('issuerKey');
      await vi.waitFor(
        async () => expect(((await issuerKey(retired.issuerDid, retired.keyId)) as unknown as { revokedAt: bigint }).revokedAt).toBeGreaterThan(0n),
        { timeout: 30_000, interval: 200 },
      );
    } finally {
      await sello.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('status lists made before they were kept per issuer DID', () => {
  it('take the DID of the credentials they hold when the database is migrated', async () => {
    const db = await openTestDatabase({ migrate: false });
    try {
      const migrations = path.resolve(import.meta.dirname, '..', '..', 'src', 'storage', 'migrations');
      await db.exec('CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      for (const name of listMigrations().filter((name) => name < '0101')) {
        await db.exec(fs.readFileSync(path.join(migrations, name), 'utf8'));
        await db.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
      }
      const issuerId = (await db.query<{ id: string }>(`INSERT INTO issuers (slug, name, url) VALUES ('uni', 'Uni', 'https://uni.example') RETURNING id`)).rows[0]!.id;
      const group = async () => (await db.query<{ id: string }>('INSERT INTO status_list_groups (issuer_id, length) VALUES ($1, 131072) RETURNING id', [issuerId])).rows[0]!.id;
      const [held, empty] = [await group(), await group()];
      const did = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
      await db.query(`INSERT INTO credentials (id, issuer_id, hash, document, valid_from) VALUES ('urn:uuid:1', $1, '0x01', $2, now())`, [
        issuerId,
        JSON.stringify({ issuer: { id: did, type: ['Profile'] } }),
      ]);
      await db.query(`INSERT INTO status_list_entries (group_id, idx, credential_id) VALUES ($1, 7, 'urn:uuid:1')`, [held]);
      await migrate(db);
      const { rows } = await db.query<{ id: string; issuer_did: string | null }>('SELECT id, issuer_did FROM status_list_groups');
      expect(Object.fromEntries(rows.map((row) => [row.id, row.issuer_did]))).toEqual({ [held]: did, [empty]: null });
    } finally {
      await db.close();
    }
  });
});
