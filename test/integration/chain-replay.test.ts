/**
 * The embedded chain keeps no state on disk: a restart replays the journal and must
 * give back the very same chain (every tx hash, block hash, the contract address), so
 * every credential issued before the restart keeps verifying.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Wallet } from 'ethers';
import { createAnchorBatcher } from '../../src/chain/anchor-batcher.ts';
import { createAnchorChecker } from '../../src/chain/anchor-checker.ts';
import type { ChainService } from '../../src/chain/open-chain.ts';
import { registerIssuerKeys } from '../../src/chain/register-issuer-keys.ts';
import { claimIssuerDids } from '../../src/chain/issuer-directory.ts';
import { createChainReader } from '../../src/chain/chain-reader.ts';
import { DEPLOYMENT_PROXY, ISSUER_DIRECTORY_ADDRESS } from '../../src/chain/registry-contract.ts';
import { revokeCredentialOnChain } from '../../src/chain/revoke-on-chain.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { chainTestConfig, createCredentials, createIssuer, createUser, openTestChain, silentLog, type TestCredential } from './chain-support.ts';

const DID = 'did:web:uni.example';
const KEY = { issuerDid: DID, keyId: '#key-1', publicKeyMultibase: 'z6MkReplayKey', validFrom: '2026-01-01T00:00:00Z', validUntil: null, revoked: false };

async function snapshot(chain: ChainService) {
  const head = await chain.provider.getBlockNumber();
  const blocks: Array<{ number: number; hash: string; stateRoot: string; transactions: readonly string[] }> = [];
  for (let number = 0; number <= head; number += 1) {
    const block = await chain.provider.getBlock(number);
    blocks.push({ number, hash: block!.hash!, stateRoot: block!.stateRoot!, transactions: block!.transactions });
  }
  return blocks;
}

describe('restarting the embedded chain', () => {
  const config = chainTestConfig();
  let db: TestDatabase;
  let issuerId: string;

  beforeAll(async () => {
    db = await openTestDatabase();
    issuerId = await createIssuer(db);
  });
  afterAll(async () => {
    await db.close();
  });

  it('replays the journal to byte-identical blocks, and every credential keeps verifying', async () => {
    const learner = Wallet.createRandom().address;
    const first = await openTestChain({ db, config });
    await registerIssuerKeys({ chain: first, keys: [KEY] });
    const userId = await createUser(db, { issuerId, walletAddress: learner });
    const anchored: TestCredential[] = [
      ...(await createCredentials(db, { issuerId, count: 7 })),
      ...(await createCredentials(db, { issuerId, count: 3, recipientUserId: userId })),
    ];
    const report = await createAnchorBatcher({ db, chain: first, batchSize: 4, maxWaitS: 60, log: silentLog }).runOnce({ flush: true });
    expect(report).toMatchObject({ batchesAnchored: 3, tokensMinted: 3, error: null });
    await revokeCredentialOnChain({ chain: first, credentialHash: anchored[0]!.hash, reason: 'issued_in_error' });
    const before = await snapshot(first);
    const contract = first.contractAddress;
    await first.close();

    const second = await openTestChain({ db, config });
    expect(second.replay).toMatchObject({ transactions: before.length - 1, headBlockHash: before.at(-1)!.hash });
    expect(second.contractAddress).toBe(contract);
    expect(await snapshot(second)).toEqual(before);

    const checker = createAnchorChecker({ provider: second.provider });
    const query = (credential: TestCredential) => ({
      credentialHash: credential.hash,
      chainId: second.chainId,
      contract,
      issuerDid: DID,
      verificationMethod: `${DID}#key-1`,
      validFrom: credential.validFrom,
    });
    expect(await checker(query(anchored[0]!))).toMatchObject({ valid: false, error: 'revoked_on_chain' });
    for (const credential of anchored.slice(1)) expect(await checker(query(credential))).toMatchObject({ valid: true });
    expect(await second.registry.getFunction('ownerOf')(BigInt(anchored[9]!.hash))).toBe(learner);

    // Life goes on after a replay, and the next restart replays that too.
    const later = await createCredentials(db, { issuerId, count: 2 });
    await createAnchorBatcher({ db, chain: second, batchSize: 100, maxWaitS: 60, log: silentLog }).runOnce({ flush: true });
    const afterMore = await snapshot(second);
    await second.close();
    const third = await openTestChain({ db, config });
    expect(await snapshot(third)).toEqual(afterMore);
    const thirdChecker = createAnchorChecker({ provider: third.provider });
    for (const credential of [...anchored.slice(1), ...later]) expect(await thirdChecker(query(credential))).toMatchObject({ valid: true });
    await third.close();
  });

  it('replays the deployment proxy, the issuer directory and its claims, keyless transaction included', async () => {
    const first = await openTestChain({ db, config });
    expect(await claimIssuerDids({ chain: first, dids: [DID], tokenIssuer: DID })).toMatchObject({ claimed: [DID] });
    expect(await claimIssuerDids({ chain: first, dids: [DID], tokenIssuer: DID })).toMatchObject({ claimed: [], unchanged: [DID] });
    const before = await snapshot(first);
    const binding = await createChainReader({ provider: first.provider }).issuerBinding({ chainId: first.chainId, did: DID });
    await first.close();

    const second = await openTestChain({ db, config });
    expect(await snapshot(second)).toEqual(before);
    expect(await second.provider.getCode(DEPLOYMENT_PROXY.address)).not.toBe('0x');
    expect(await second.provider.getCode(ISSUER_DIRECTORY_ADDRESS)).not.toBe('0x');
    expect(await createChainReader({ provider: second.provider }).issuerBinding({ chainId: second.chainId, did: DID })).toEqual(binding);
    expect(await second.registry.getFunction('tokenIssuer')()).toBe(DID);
    await second.close();
  });

  it('refuses to start from a journal that no longer replays to the recorded hashes', async () => {
    await db.query('UPDATE chain_journal SET block_timestamp = block_timestamp + 1 WHERE seq = (SELECT max(seq) FROM chain_journal)');
    await expect(openTestChain({ db, config })).rejects.toMatchObject({ code: 'journal_replay_mismatch' });
  });
});
