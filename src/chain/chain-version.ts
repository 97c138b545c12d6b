import type { Provider } from 'ethers';

/**
 * The chain's state as a short string that changes with every block: what the
 * verification workers reuse chain answers under (`chainVersion` in
 * `web/credential-routes.ts`, `credentials/remote-answer-cache.ts`). The newest block's
 * hash, not only its number: a re-org can put another block at the same height (an
 * anchor or an on-chain revocation gone, or come), and a node that mines on demand may
 * stay at that height for as long as no transaction arrives.
 */
export async function readChainVersion(provider: Provider): Promise<string> {
  const [network, block] = await Promise.all([provider.getNetwork(), provider.getBlock('latest')]);
  if (!block?.hash) throw new Error('the chain did not answer its latest block');
  return `${network.chainId}:${block.number}:${block.hash}`;
}
