import { beforeAll, describe, expect, it } from 'vitest';
import { verifyCredential, type AnchorQuery } from '../../../src/credentials/verify.ts';
import { validateOb3Schema } from '../../../src/credentials/schema.ts';
import { signCredential, type SigningKey } from '../../../src/credentials/sign-credential.ts';
import { credentialHash } from '../../../src/credentials/credential-hash.ts';
import { readChainReference } from '../../../src/credentials/chain-reference.ts';
import { emailMatchesIdentity, type IdentityObject } from '../../../src/credentials/recipient-identifier.ts';
import { buildDidDocument, resolveDidKey, withRevokedKeys } from '../../../src/credentials/did.ts';
import { createDocumentLoader } from '../../../src/credentials/document-loader.ts';
import { check, documentLoader, makeDidKeyIssuer, signedCredential, statusLists, STATUS_INDEX, unsignedCredential, verifyOptions } from './fixtures.ts';

describe('signing and verifying an OB 3.0 credential', () => {
  let issuer: SigningKey;
  let other: SigningKey;
  let credential: Record<string, unknown>;
  beforeAll(async () => {
    issuer = await makeDidKeyIssuer();
    other = await makeDidKeyIssuer();
    credential = await signedCredential(issuer);
  });

  it('produces a credential that validates against the official OB 3.0 schema', () => {
    expect(validateOb3Schema(credential)).toEqual({ valid: true, errors: [] });
    expect(credential['@context']).toEqual([
      'https://www.w3.org/ns/credentials/v2',
      'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
      'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json',
    ]);
    expect(credential.credentialSchema).toEqual([
      { id: 'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json', type: '1EdTechJsonSchemaValidator2019' },
    ]);
    expect(Array.isArray(credential.proof)).toBe(true);
    expect((credential.proof as Array<Record<string, unknown>>)[0]).toMatchObject({ type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022', proofPurpose: 'assertionMethod' });
    expect(String(credential.id)).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
  });

  it('hashes and salts the recipient email instead of publishing it', () => {
    const subject = credential.credentialSubject as { identifier: IdentityObject[] };
    expect(JSON.stringify(credential)).not.toContain('Ana.Perez@Example.edu');
    expect(emailMatchesIdentity({ email: 'ana.perez@example.edu', identity: subject.identifier[0]! })).toBe(true);
    expect(emailMatchesIdentity({ email: 'someone@example.edu', identity: subject.identifier[0]! })).toBe(false);
  });

  it('carries its chain reference as a CAIP-10 issuer identifier that reads back', () => {
    expect(readChainReference(credential)).toEqual({ chainId: 31337, contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' });
    expect(readChainReference({})).toBeNull();
  });

  it('verifies with every check passing and the chain check skipped without counting', async () => {
    const report = await verifyCredential(credential, await verifyOptions(issuer));
    expect(report.verified).toBe(true);
    expect(report.checks.map((c) => c.id)).toEqual(['schema', 'signature', 'issuer_key', 'status', 'validity_period', 'anchored_on_chain', 'issuer_registered']);
    expect(check(report, 'anchored_on_chain')).toMatchObject({ valid: true, skipped: true, error: 'not_configured', details: { countsTowardVerified: false } });
    expect(check(report, 'status').details).toMatchObject({ revoked: false });
    expect(report.credentialHash).toBe(credentialHash(credential));
  });

  it('fails the signature check when a field is tampered with', async () => {
    const tampered = structuredClone(credential);
    (tampered.credentialSubject as { achievement: { name: string } }).achievement.name = 'Python Expert';
    const report = await verifyCredential(tampered, await verifyOptions(issuer));
    expect(report.verified).toBe(false);
    expect(check(report, 'signature')).toMatchObject({ valid: false, error: 'invalid_signature' });
  });

  it('fails the issuer key check when another key signed for the issuer', async () => {
    const unsigned = unsignedCredential(issuer);
    const forged = await signCredential({ credential: unsigned, key: other, documentLoader });
    const report = await verifyCredential(forged, await verifyOptions(issuer));
    expect(report.verified).toBe(false);
    expect(check(report, 'issuer_key')).toMatchObject({ valid: false, error: 'issuer_mismatch' });
  });

  it('fails the issuer key check for a key its DID document marks revoked, even after the credential\'s validFrom', async () => {
    const revokedAt = new Date('2026-03-01T00:00:00Z');
    const loader = createDocumentLoader({ resolveDid: async (did) => withRevokedKeys(resolveDidKey(did), new Map([[issuer.verificationMethod, revokedAt]])) });
    const report = await verifyCredential(credential, await verifyOptions(issuer, { documentLoader: loader }));
    expect(report.verified).toBe(false);
    expect(check(report, 'issuer_key')).toMatchObject({ valid: false, error: 'key_revoked', details: { revoked: '2026-03-01T00:00:00Z' } });
    // Out of assertionMethod too, so verifiers that only check the proof refuse it.
    expect(check(report, 'signature')).toMatchObject({ valid: false });
  });

  it('lists a revoked key in the DID document with its revocation date, for no purpose', () => {
    const did = 'did:web:uni.example';
    const document = buildDidDocument({
      did,
      keys: [
        { id: `${did}#key-1`, publicKeyMultibase: issuer.publicKeyMultibase, validFrom: new Date('2025-01-01T00:00:00Z'), validUntil: new Date('2026-01-01T00:00:00Z'), revokedAt: new Date('2026-02-01T12:30:00.250Z') },
        { id: `${did}#key-2`, publicKeyMultibase: other.publicKeyMultibase, validFrom: new Date('2026-01-01T00:00:00Z'), validUntil: null, revokedAt: null },
      ],
    });
    expect(document.verificationMethod.map((method) => method.revoked)).toEqual(['2026-02-01T12:30:00Z', undefined]);
    expect(document.assertionMethod).toEqual([`${did}#key-2`]);
    expect(document.authentication).toEqual([`${did}#key-2`]);
    expect(document.selloKeyValidity).toMatchObject([{ id: `${did}#key-1`, revoked: true }, { id: `${did}#key-2`, revoked: false }]);
  });

  it('names an unknown DID method instead of fetching it', async () => {
    const unknown = structuredClone(credential);
    (unknown.proof as Array<Record<string, unknown>>)[0]!.verificationMethod = 'did:ion:abc#key-1';
    (unknown.issuer as Record<string, unknown>).id = 'did:ion:abc';
    const report = await verifyCredential(unknown, await verifyOptions(issuer));
    expect(report.verified).toBe(false);
    expect(check(report, 'signature')).toMatchObject({ valid: false, error: 'unsupported_did_method' });
    expect(check(report, 'issuer_key')).toMatchObject({ valid: false, error: 'unsupported_did_method' });
  });

  it('reports an expired credential in the validity period check', async () => {
    const expired = await signedCredential(issuer, { validUntil: new Date('2026-03-01T00:00:00Z') });
    const report = await verifyCredential(expired, await verifyOptions(issuer));
    expect(report.verified).toBe(false);
    expect(check(report, 'validity_period')).toMatchObject({ valid: false, error: 'expired' });
    expect(check(report, 'signature').valid).toBe(true);
  });

  it('accepts a VC 2.0 credential without validFrom in the validity period check (the OB 3.0 schema check is what wants it)', async () => {
    const plain = await signCredential({
      credential: {
        '@context': ['https://www.w3.org/ns/credentials/v2'],
        type: ['VerifiableCredential'],
        id: 'urn:uuid:5e7d2c1a-0f3b-4c7e-9a51-2b8d3f6e4a10',
        issuer: issuer.controller,
        credentialSubject: { id: 'did:example:learner' },
      },
      key: issuer,
      documentLoader,
    });
    expect(plain.validFrom).toBeUndefined();
    const report = await verifyCredential(plain, await verifyOptions(issuer));
    expect(check(report, 'validity_period')).toMatchObject({ valid: true, details: { validFrom: null, validUntil: null } });
    expect(check(report, 'signature').valid).toBe(true);
    // Not an Open Badge: the VC Data Model 2.0 rules apply, not the OB 3.0 schema (issue 14).
    expect(check(report, 'schema')).toMatchObject({ valid: true });
    expect(report.verified).toBe(true);
  });

  it('reports a credential that is not yet valid', async () => {
    const future = await signedCredential(issuer, { validFrom: new Date('2027-01-01T00:00:00Z') });
    const report = await verifyCredential(future, await verifyOptions(issuer));
    expect(report.verified).toBe(false);
    expect(check(report, 'validity_period')).toMatchObject({ valid: false, error: 'not_yet_valid' });
  });

  it('fails the status check for a revoked credential', async () => {
    const report = await verifyCredential(credential, await verifyOptions(issuer, { statusListLoader: await statusLists(issuer, { revoked: [STATUS_INDEX] }) }));
    expect(report.verified).toBe(false);
    expect(check(report, 'status')).toMatchObject({ valid: false, error: 'revoked' });
    expect(check(report, 'signature').valid).toBe(true);
  });

  it('fails the status check for a suspended credential through the sibling suspension list', async () => {
    const report = await verifyCredential(credential, await verifyOptions(issuer, { statusListLoader: await statusLists(issuer, { suspended: [STATUS_INDEX] }) }));
    expect(report.verified).toBe(false);
    expect(check(report, 'status')).toMatchObject({ valid: false, error: 'suspended' });
  });

  it('names an unreachable status list', async () => {
    const report = await verifyCredential(credential, await verifyOptions(issuer, { statusListLoader: async () => { throw new Error('ECONNREFUSED'); } }));
    expect(report.verified).toBe(false);
    expect(check(report, 'status')).toMatchObject({ valid: false, error: 'status_list_unreachable' });
  });

  it('refuses a status list signed by someone else', async () => {
    const report = await verifyCredential(credential, await verifyOptions(issuer, { statusListLoader: await statusLists(other) }));
    expect(check(report, 'status')).toMatchObject({ valid: false, error: 'status_list_invalid' });
  });

  it('refuses an unknown context and a remote context without fetching them', async () => {
    const remote = structuredClone(credential);
    (remote['@context'] as string[]).push('https://evil.example/context.jsonld');
    const report = await verifyCredential(remote, await verifyOptions(issuer));
    expect(report.verified).toBe(false);
    expect(check(report, 'signature')).toMatchObject({ valid: false, error: 'remote_document_refused' });
  });

  it('returns a failing report instead of throwing for a credential nested 10,000 levels deep', async () => {
    const deep = { ...credential, evidence: JSON.parse('['.repeat(10_000) + ']'.repeat(10_000)) };
    const report = await verifyCredential(deep, await verifyOptions(issuer));
    expect(report.verified).toBe(false);
    expect(report.checks).toHaveLength(7);
    expect(report.checks.every((c) => !c.valid)).toBe(true);
  });

  it('fails the schema check when the proof is a single object', async () => {
    const single = { ...credential, proof: (credential.proof as unknown[])[0] };
    const report = await verifyCredential(single, await verifyOptions(issuer));
    expect(check(report, 'schema')).toMatchObject({ valid: false, error: 'schema_invalid' });
    expect(check(report, 'signature').valid).toBe(true);
  });

  it('reports non-objects in every check without throwing', async () => {
    for (const input of [null, 'text', 42, []]) {
      const report = await verifyCredential(input, await verifyOptions(issuer));
      expect(report.verified).toBe(false);
      expect(report.checks.every((c) => c.error === 'not_an_object')).toBe(true);
    }
  });

  it('asks the injected anchor checker with the credential hash, chain and key', async () => {
    const queries: AnchorQuery[] = [];
    const anchorChecker = async (query: AnchorQuery) => {
      queries.push(query);
      return { valid: false, error: 'not_anchored', details: { batch: null } };
    };
    const report = await verifyCredential(credential, await verifyOptions(issuer, { anchorChecker }));
    expect(queries).toEqual([
      {
        credentialHash: credentialHash(credential),
        chainId: 31337,
        contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
        issuerDid: issuer.controller,
        verificationMethod: issuer.verificationMethod,
        validFrom: '2026-01-15T10:00:00Z',
      },
    ]);
    expect(report.verified).toBe(false);
    expect(check(report, 'anchored_on_chain')).toMatchObject({ valid: false, error: 'not_anchored' });
  });

  it('reports an anchor checker that throws as a named failure', async () => {
    const report = await verifyCredential(credential, await verifyOptions(issuer, { anchorChecker: async () => { throw new Error('RPC down'); } }));
    expect(check(report, 'anchored_on_chain')).toMatchObject({ valid: false, error: 'anchor_check_failed' });
  });
});
