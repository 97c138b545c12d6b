import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, keccak256, id } from 'ethers';
import { findAnchor } from '../../src/chain/find-anchor.ts';
import { deployRegistry, events, expectRevert, randomHash, send, type RegistryFixture } from './registry-fixture.ts';

const ANCHORER_ROLE = id('ANCHORER_ROLE');
const TAG = id('SelloAnchor(bytes32[])').slice(0, 10);

describe('BatchAnchor', () => {
  let f: RegistryFixture;
  beforeAll(async () => {
    f = await deployRegistry();
  });
  afterAll(async () => {
    await f.close();
  });

  it('writes leaf i of a batch as topic i % 4 of anonymous log i / 4, with a tagged data word, then BatchAnchored', async () => {
    const batchIndex = Number(await f.registry.getFunction('batchCount')());
    const leaves = Array.from({ length: 5 }, randomHash);
    const receipt = await send(f.registry, 'anchorBatch', [leaves]);
    const anchorLogs = receipt.logs.filter((log) => log.data.length === 66 && log.data.startsWith(TAG));
    expect(anchorLogs.map((log) => log.topics)).toEqual([leaves.slice(0, 4), leaves.slice(4)]);
    expect(anchorLogs.map((log) => Number(BigInt(log.data) & 0xffffffffn))).toEqual([0, 4]);
    expect(anchorLogs.map((log) => Number((BigInt(log.data) >> 32n) & 0xffffffffn))).toEqual([batchIndex, batchIndex]);
    const emitted = events(receipt);
    expect(emitted.map((event) => event.name)).toEqual(['BatchAnchored']);
    expect(emitted[0]!.args.toArray()).toEqual([BigInt(batchIndex), 5n, keccak256(concat(leaves))]);
    expect(Number(await f.registry.getFunction('batchCount')())).toBe(batchIndex + 1);
    await lookupEveryLeaf(leaves, batchIndex);
  });

  it('anchors batches with every remainder of four and finds each leaf with eth_getLogs', async () => {
    for (const count of [2, 3, 5, 6, 7, 8, 9]) {
      const batchIndex = Number(await f.registry.getFunction('batchCount')());
      const leaves = Array.from({ length: count }, randomHash);
      await send(f.registry, 'anchorBatch', [leaves]);
      await lookupEveryLeaf(leaves, batchIndex);
    }
  });

  it('reverts an empty batch with EmptyBatch', async () => {
    await expectRevert(f.registry.getFunction('anchorBatch')([]), 'EmptyBatch');
  });

  it('reverts for an account without the anchorer role with AccessControlUnauthorizedAccount(account, role)', async () => {
    await expectRevert(f.as(f.stranger).getFunction('anchorBatch')([randomHash()]), 'AccessControlUnauthorizedAccount', [
      f.strangerAddress,
      ANCHORER_ROLE,
    ]);
  });

  it('reports the block it was deployed in, the lower bound of every lookup', async () => {
    expect(Number(await f.registry.getFunction('deploymentBlock')())).toBe(1);
  });

  it('finds nothing for a hash that was never anchored, even one used as a topic by another event', async () => {
    const hash = randomHash();
    await send(f.registry, 'revokeCredential', [hash, 1]);
    expect(await findAnchor({ provider: f.chain.provider, contract: await f.registry.getAddress(), credentialHash: hash })).toBeNull();
  });

  async function lookupEveryLeaf(leaves: string[], batchIndex: number): Promise<void> {
    const contract = await f.registry.getAddress();
    for (const [leafIndex, leaf] of leaves.entries()) {
      const found = await findAnchor({ provider: f.chain.provider, contract, credentialHash: leaf });
      expect(found).toMatchObject({ batchIndex, leafIndex });
    }
  }
});
