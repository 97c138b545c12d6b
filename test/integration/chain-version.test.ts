/**
 * The version the verification workers reuse chain answers under (anchors, keys and
 * revocations on chain) must change whenever the chain's state can: a re-org that
 * replaces the newest block with another at the same height included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Wallet } from 'ethers';
import { EMBEDDED_SIGNER_KEY, startEmbeddedChain, type EmbeddedChain } from '../../src/chain/embedded-chain.ts';
import { readChainVersion } from '../../src/chain/chain-version.ts';

describe('the chain version', () => {
  let chain: EmbeddedChain;
  beforeAll(async () => {
    chain = await startEmbeddedChain();
  });
  afterAll(() => chain.close());

  it('changes when a re-org replaces the newest block with another at the same height', async () => {
    const { result: snapshotId } = await chain.request({ method: 'evm_snapshot', params: [] });
    await chain.request({ method: 'evm_mine', params: [] });
    const before = await readChainVersion(chain.provider);
    const height = await chain.provider.getBlockNumber();

    // Re-orged away; the block at that height now carries a transaction (an anchor, a revocation).
    await chain.request({ method: 'evm_revert', params: [snapshotId] });
    const signer = new Wallet(EMBEDDED_SIGNER_KEY, chain.provider);
    await (await signer.sendTransaction({ to: Wallet.createRandom().address, value: 1n })).wait();
    expect(await chain.provider.getBlockNumber()).toBe(height);

    expect(await readChainVersion(chain.provider)).not.toBe(before);
  });
});
