/**
 * Finds where a credential hash was anchored, with nothing but an RPC endpoint.
 *
 * Anchor logs carry up to four leaves each, one per topic position (see
 * contracts/interfaces/IBatchAnchor.sol), so the lookup is one `eth_getLogs` per topic
 * position, all from the registry's deployment block, run in parallel. A match counts
 * only if its data is the single tagged word of an anchor log: the registry's other
 * events (revocations, tokens) can carry the same hash as a topic.
 */
import { Contract, type Log, type Provider } from 'ethers';
import { ANCHOR_LOG_TAG, registryInterface } from './registry-contract.ts';

export interface AnchorLocation {
  txHash: string;
  blockNumber: number;
  blockHash: string;
  /** Batch sequence number in the registry (modulo 2^32, as the log carries it). */
  batchIndex: number;
  /** Position of the credential in its batch. */
  leafIndex: number;
}

/**
 * @returns the first anchor of `credentialHash` in `contract`, or null.
 * @see https://ethereum.org/en/developers/docs/apis/json-rpc/#eth_getlogs
 */
export async function findAnchor(params: { provider: Provider; contract: string; credentialHash: string }): Promise<AnchorLocation | null> {
  const hash = params.credentialHash.toLowerCase();
  const registry = new Contract(params.contract, registryInterface, params.provider);
  const fromBlock = Number(await registry.getFunction('deploymentBlock')());
  const toBlock = await params.provider.getBlockNumber();
  const positions = [0, 1, 2, 3];
  const results = await Promise.all(
    positions.map((position) =>
      getLogsInRange(params.provider, {
        address: params.contract,
        topics: positions.map((p) => (p === position ? hash : null)).slice(0, position + 1),
        fromBlock,
        toBlock,
      }),
    ),
  );
  const matches: AnchorLocation[] = [];
  results.forEach((logs, position) => {
    for (const log of logs) {
      if (log.data.length !== 66 || !log.data.toLowerCase().startsWith(ANCHOR_LOG_TAG.toLowerCase())) continue;
      if (log.topics[position]?.toLowerCase() !== hash) continue;
      const word = BigInt(log.data);
      matches.push({
        txHash: log.transactionHash,
        blockNumber: log.blockNumber,
        blockHash: log.blockHash,
        batchIndex: Number((word >> 32n) & 0xffffffffn),
        leafIndex: Number(word & 0xffffffffn) + position,
      });
    }
  });
  matches.sort((a, b) => a.blockNumber - b.blockNumber);
  return matches[0] ?? null;
}

/**
 * `eth_getLogs` over a block range, halving the range whenever the endpoint refuses it
 * as too large (hosted endpoints cap ranges or result sizes; the embedded chain does not).
 */
async function getLogsInRange(
  provider: Provider,
  filter: { address: string; topics: Array<string | null>; fromBlock: number; toBlock: number },
): Promise<Log[]> {
  try {
    return await provider.getLogs(filter);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const tooLarge = /range|limit|too many|too large|exceed|max(imum)? .*block|query returned more/i.test(message);
    if (!tooLarge || filter.toBlock <= filter.fromBlock) throw error;
    const middle = Math.floor((filter.fromBlock + filter.toBlock) / 2);
    const lower = await getLogsInRange(provider, { ...filter, toBlock: middle });
    const upper = await getLogsInRange(provider, { ...filter, fromBlock: middle + 1 });
    return [...lower, ...upper];
  }
}
