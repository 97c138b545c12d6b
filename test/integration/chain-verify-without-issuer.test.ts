/**
 * Verification once the issuer's domain is gone: the DID document cannot be had, and
 * what the credential's registry holds stands in for it (keys), with the report saying
 * where each answer came from.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractFactory, Wallet, parseEther } from 'ethers';
import { claimIssuerDids } from '../../src/chain/issuer-directory.ts';
import { registryArtifact } from '../../src/chain/registry-contract.ts';
import { EMBEDDED_SIGNER_KEY } from '../../src/chain/embedded-chain.ts';
import { setCredentialStatus } from '../../src/issuance/credential-status.ts';
import { createAnchorBatcher } from '../../src/chain/anchor-batcher.ts';
import { createChainReader } from '../../src/chain/chain-reader.ts';
import type { ChainService } from '../../src/chain/open-chain.ts';
import { registerIssuerKeys } from '../../src/chain/register-issuer-keys.ts';
import { createDocumentLoader } from '../../src/credentials/document-loader.ts';
import type { DidDocument } from '../../src/credentials/did.ts';
import { CredentialError } from '../../src/credentials/errors.ts';
import { verifyCredential, type VerificationCheck, type VerifyCredentialOptions } from '../../src/credentials/verify.ts';
import { createIssuerKeyProvider, listAllIssuerKeys } from '../../src/issuance/issuer-keys.ts';
import { issueCredential } from '../../src/issuance/issue-credential.ts';
import type { StoredCredential } from '../../src/storage/credential-repository.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { seedCourse } from '../support/issuance/course-fixture.ts';
import { chainTestConfig, openTestChain, silentLog } from './chain-support.ts';

/** What a verifier sees when the issuer's domain no longer answers. */
const domainGone = async (did: string): Promise<DidDocument | null> => {
  throw new CredentialError('did_not_found', `Cannot resolve ${did}: fetch failed`, { did });
};

describe('verification with the issuer gone and only the chain left', () => {
  const config = chainTestConfig();
  let db: TestDatabase;
  let chain: ChainService;
  let keys: ReturnType<typeof createIssuerKeyProvider>;
  let issuerId: string;
  let credential: StoredCredential;
  let signedByRevokedKey: StoredCredential;
  let batcher: ReturnType<typeof createAnchorBatcher>;
  let revoked: StoredCredential;
  let suspended: StoredCredential;
  let liftedSuspension: StoredCredential;
  let fromSecondRegistry: StoredCredential;
  let secondRegistry: string;

  beforeAll(async () => {
    db = await openTestDatabase();
    chain = await openTestChain({ db, config });
    const course = await seedCourse(db, { learners: ['ana'] });
    issuerId = course.issuerId;
    const { rows } = await db.query<{ id: string }>(`SELECT id FROM users WHERE sub = 'ana'`);
    keys = createIssuerKeyProvider({
      db,
      kek: config.secrets.keyEncryptionKey!,
      publicUrl: config.publicUrl,
      registries: () => [chain.chainReference],
    });
    const issue = (contract = chain.contractAddress) =>
      issueCredential({
        db,
        keys,
        publicUrl: config.publicUrl,
        chainReference: { chainId: chain.chainId, contract },
        issuerId: course.issuerId,
        achievement: course.achievement,
        recipient: { userId: rows[0]!.id, name: 'Ana', email: 'ana@u.example' },
      });
    signedByRevokedKey = await issue();
    const retired = await keys.rotate(issuerId);
    void retired;
    const [first] = await keys.list(issuerId);
    await keys.revoke(issuerId, { keyId: first!.keyId, reason: 'compromised' });
    credential = await issue();
    [revoked, suspended, liftedSuspension] = [await issue(), await issue(), await issue()];
    // Someone else's registry on the same chain, naming the same issuer DID.
    const stranger = Wallet.createRandom().connect(chain.provider);
    await (await new Wallet(EMBEDDED_SIGNER_KEY, chain.provider).sendTransaction({ to: stranger.address, value: parseEther('1') })).wait();
    const deployed = await new ContractFactory(registryArtifact.abi, registryArtifact.bytecode, stranger).deploy(stranger.address, 'https://x/');
    await deployed.waitForDeployment();
    secondRegistry = await deployed.getAddress();
    fromSecondRegistry = await issue(secondRegistry);
    batcher = createAnchorBatcher({
      db,
      chain,
      batchSize: 100,
      maxWaitS: 60,
      log: silentLog,
      syncIssuerKeys: async () => {
        await registerIssuerKeys({ chain, keys: await listAllIssuerKeys({ db, publicUrl: config.publicUrl }) });
      },
    });
    expect(await batcher.runOnce({ flush: true })).toMatchObject({ batchesAnchored: 1, error: null });
    const dids = (await listAllIssuerKeys({ db, publicUrl: config.publicUrl })).map((key) => key.issuerDid);
    expect(await claimIssuerDids({ chain, dids, tokenIssuer: dids[0] })).toMatchObject({ claimed: [dids[0]], claimedElsewhere: [] });
    const status = (target: StoredCredential, purpose: 'revocation' | 'suspension', value: boolean) =>
      setCredentialStatus({ db, credentialId: target.id, purpose, value, reason: 'test', actor: 'test' });
    await status(revoked, 'revocation', true);
    await status(suspended, 'suspension', true);
    await status(liftedSuspension, 'suspension', true);
    expect(await batcher.runOnce()).toMatchObject({ revocationsSent: 1, suspensionsSent: 2, error: null });
    await status(liftedSuspension, 'suspension', false);
    expect(await batcher.runOnce()).toMatchObject({ suspensionsSent: 1, error: null });
  });

  afterAll(async () => {
    await chain.close();
    await db.close();
  });

  async function verify(document: unknown, options: Partial<VerifyCredentialOptions> = {}): Promise<Record<string, VerificationCheck>> {
    const report = await verifyCredential(JSON.parse(JSON.stringify(document)), {
      documentLoader: createDocumentLoader({ resolveDid: domainGone }),
      statusListLoader: async (url) => {
        throw new Error(`fetch failed: ${url}`);
      },
      chainReader: createChainReader({ provider: chain.provider }),
      ...options,
    });
    return Object.fromEntries(report.checks.map((check) => [check.id, check]));
  }

  it('verifies the signature with the key from the chain when the DID document cannot be had, and says so', async () => {
    const checks = await verify(credential.document);
    expect(checks.signature).toMatchObject({ valid: true, details: { keySource: 'chain' } });
    expect(checks.issuer_key).toMatchObject({ valid: true, details: { keySource: 'chain', didDocumentError: 'did_not_found' } });
  });

  it('fails a credential signed with a key the chain holds as revoked, with the DID document gone', async () => {
    const checks = await verify(signedByRevokedKey.document);
    expect(checks.issuer_key).toMatchObject({ valid: false, error: 'key_revoked', details: { keySource: 'chain' } });
    expect(checks.signature).toMatchObject({ valid: false });
  });

  it('still fails as did_not_found when neither the DID document nor a chain can be had', async () => {
    const checks = await verify(credential.document, { chainReader: undefined });
    expect(checks.signature).toMatchObject({ valid: false, error: 'did_not_found' });
    expect(checks.issuer_key).toMatchObject({ valid: false, error: 'did_not_found' });
  });

  it('takes the DID document when it exists and reports that source', async () => {
    const checks = await verify(credential.document, { documentLoader: createDocumentLoader({ resolveDid: keys.resolveDid }) });
    expect(checks.signature).toMatchObject({ valid: true, details: { keySource: 'did_document' } });
    expect(checks.issuer_key).toMatchObject({ valid: true, details: { keySource: 'did_document' } });
  });

  it('fails key_mismatch when the DID document and the chain hold different public keys for the key id', async () => {
    const method = (credential.document.proof as Array<{ verificationMethod: string }>)[0]!.verificationMethod;
    const other = (await keys.list(issuerId)).find((key) => key.keyId !== method)!;
    const forged = async (did: string) => {
      const document = (await keys.resolveDid(did))!;
      return {
        ...document,
        verificationMethod: document.verificationMethod.map((vm) => (vm.id === method ? { ...vm, publicKeyMultibase: other.publicKeyMultibase } : vm)),
      };
    };
    const checks = await verify(credential.document, { documentLoader: createDocumentLoader({ resolveDid: forged }) });
    expect(checks.issuer_key).toMatchObject({
      valid: false,
      error: 'key_mismatch',
      details: { didDocumentPublicKeyMultibase: other.publicKeyMultibase },
    });
  });

  it('reads the status from the chain when the status list cannot be fetched, and says so with the block number', async () => {
    const checks = await verify(credential.document);
    expect(checks.status).toMatchObject({ valid: true, details: { source: 'chain', listError: 'status_list_unreachable', revoked: false, suspended: false } });
    expect(checks.status!.details!.blockNumber).toBeGreaterThan(0);
  });

  it('tells revoked, suspended and lifted apart from the chain alone', async () => {
    expect((await verify(revoked.document)).status).toMatchObject({ valid: false, error: 'revoked', details: { source: 'chain' } });
    expect((await verify(suspended.document)).status).toMatchObject({ valid: false, error: 'suspended', details: { source: 'chain' } });
    expect((await verify(liftedSuspension.document)).status).toMatchObject({ valid: true, details: { source: 'chain', suspended: false } });
  });

  it('says status_unknown, not revoked, when neither the status list nor the chain answers', async () => {
    const deadChain = createChainReader({ rpcUrl: 'http://127.0.0.1:9/' });
    const checks = await verify(credential.document, { chainReader: deadChain });
    expect(checks.status).toMatchObject({ valid: false, error: 'status_unknown', details: { listError: 'status_list_unreachable' } });
  });

  it('passes issuer_registered when the directory binds the issuer DID to the registry the credential names, with block and time', async () => {
    const checks = await verify(credential.document, { documentLoader: createDocumentLoader({ resolveDid: keys.resolveDid }) });
    expect(checks.issuer_registered).toMatchObject({
      valid: true,
      details: { registry: chain.chainReference, controller: chain.signer, didDocument: 'names_registry' },
    });
    expect(checks.issuer_registered!.details!.blockNumber).toBeGreaterThan(0);
    expect(Date.parse(String(checks.issuer_registered!.details!.boundAt))).toBeGreaterThan(0);
  });

  it('fails issuer_registered with registry_not_bound for a credential naming a second registry that claims the same DID', async () => {
    const checks = await verify(fromSecondRegistry.document);
    expect(checks.signature).toMatchObject({ valid: false });
    expect(checks.issuer_registered).toMatchObject({ valid: false, error: 'registry_not_bound', details: { boundRegistry: chain.chainReference } });
    // Even with the real institution's DID document at hand.
    const withDocument = await verify(fromSecondRegistry.document, { documentLoader: createDocumentLoader({ resolveDid: keys.resolveDid }) });
    expect(withDocument.signature).toMatchObject({ valid: true });
    expect(withDocument.issuer_registered).toMatchObject({ valid: false, error: 'registry_not_bound' });
  });

  it('skips issuer_registered, without counting it, when no chain is given', async () => {
    const checks = await verify(credential.document, { chainReader: undefined });
    expect(checks.issuer_registered).toMatchObject({ valid: true, skipped: true, error: 'not_configured' });
  });
});
