/**
 * Key validity on chain is kept in whole seconds while Sello keeps it to the
 * millisecond and credentials state `validFrom` to the second. These credentials are
 * signed around rotations inside one second, then checked against the chain alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnchorBatcher } from '../../src/chain/anchor-batcher.ts';
import { createAnchorChecker } from '../../src/chain/anchor-checker.ts';
import type { ChainService } from '../../src/chain/open-chain.ts';
import { onChainValidity, registerIssuerKeys } from '../../src/chain/register-issuer-keys.ts';
import { createDocumentLoader } from '../../src/credentials/document-loader.ts';
import { verifyCredential } from '../../src/credentials/verify.ts';
import { createIssuerKeyProvider, listAllIssuerKeys } from '../../src/issuance/issuer-keys.ts';
import { issueCredential } from '../../src/issuance/issue-credential.ts';
import type { StoredCredential } from '../../src/storage/credential-repository.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { seedCourse } from '../support/issuance/course-fixture.ts';
import { chainTestConfig, openTestChain, silentLog } from './chain-support.ts';

describe('key validity on chain around a rotation within one second', () => {
  const config = chainTestConfig();
  let db: TestDatabase;
  let chain: ChainService;
  let keys: ReturnType<typeof createIssuerKeyProvider>;
  // A whole second a minute ago; the clock moves by hand within it.
  const second = Math.floor(Date.now() / 1000) * 1000 - 60_000;
  let clock = second - 10_000;
  let signedBeforeRotation: StoredCredential;
  let signedByShortLivedKey: StoredCredential;

  beforeAll(async () => {
    db = await openTestDatabase();
    chain = await openTestChain({ db, config });
    const course = await seedCourse(db, { learners: ['ana'] });
    const { rows } = await db.query<{ id: string }>(`SELECT id FROM users WHERE sub = 'ana'`);
    const now = () => new Date(clock);
    keys = createIssuerKeyProvider({ db, kek: config.secrets.keyEncryptionKey!, publicUrl: config.publicUrl, now });
    await keys.ensureKey(course.issuerId);
    const issue = () =>
      issueCredential({
        db,
        keys,
        now,
        publicUrl: config.publicUrl,
        chainReference: { chainId: chain.chainId, contract: chain.contractAddress },
        issuerId: course.issuerId,
        achievement: course.achievement,
        recipient: { userId: rows[0]!.id, name: 'Ana', email: 'ana@u.example' },
      });
    clock = second + 300;
    signedBeforeRotation = await issue();
    clock = second + 686;
    await keys.rotate(course.issuerId);
    clock = second + 800;
    signedByShortLivedKey = await issue();
    clock = second + 900;
    await keys.rotate(course.issuerId);
    const batcher = createAnchorBatcher({
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
  });

  afterAll(async () => {
    await chain.close();
    await db.close();
  });

  async function chainChecks(credential: StoredCredential) {
    const report = await verifyCredential(JSON.parse(JSON.stringify(credential.document)), {
      documentLoader: createDocumentLoader({ resolveDid: keys.resolveDid }),
      statusListLoader: async () => {
        throw new Error('status lists are not part of this test');
      },
      anchorChecker: createAnchorChecker({ provider: chain.provider }),
    });
    return Object.fromEntries(report.checks.map((check) => [check.id, check]));
  }

  it('stores the start floored and the end ceiled, and gives a zero-length period one second', () => {
    expect(onChainValidity(new Date(second + 686), new Date(second + 900))).toEqual({
      validFrom: BigInt(second / 1000),
      validUntil: BigInt(second / 1000 + 1),
    });
    expect(onChainValidity(new Date(second), new Date(second))).toEqual({ validFrom: BigInt(second / 1000), validUntil: BigInt(second / 1000 + 1) });
    expect(onChainValidity(new Date(second + 1), null)).toEqual({ validFrom: BigInt(second / 1000), validUntil: 0n });
  });

  it('verifies on chain a credential signed in the same second as the rotation that closed its key', async () => {
    expect(signedBeforeRotation.document.validFrom).toBe(new Date(second).toISOString().replace('.000Z', 'Z'));
    const checks = await chainChecks(signedBeforeRotation);
    expect(checks.issuer_key).toMatchObject({ valid: true });
    expect(checks.anchored_on_chain).toMatchObject({ valid: true });
  });

  it('registers a key current for less than a second, and verifies its credential on chain', async () => {
    const checks = await chainChecks(signedByShortLivedKey);
    expect(checks.signature).toMatchObject({ valid: true });
    expect(checks.anchored_on_chain).toMatchObject({ valid: true, details: { key: { validUntil: new Date(second + 1000).toISOString() } } });
  });
});
