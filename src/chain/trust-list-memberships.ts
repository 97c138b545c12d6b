/**
 * What the administrator's trust lists (`TRUST_LISTS`) say about this deployment's issuer
 * DIDs, read from the chain for `GET /admin/api/trust-lists`. Each list answers on its own:
 * a list that cannot be read becomes an error entry with a code, never a throw, so one bad
 * address or an RPC outage does not hide the other lists.
 *
 * @see https://github.com/ChainAgnostic/CAIPs/blob/main/CAIPs/caip-10.md
 * @see https://eips.ethereum.org/EIPS/eip-165
 */
import { Contract, getAddress, type Provider } from 'ethers';
import { registryInterfaceIds, trustListInterface } from './registry-contract.ts';

/** One issuer DID's membership of one list. */
export interface TrustListMembership {
  did: string;
  member: boolean;
  /** When the DID joined the list (block time); null when it is not a member. */
  since: string | null;
}

export type TrustListReport =
  | { list: string; ok: true; name: string; memberships: TrustListMembership[] }
  | {
      list: string;
      ok: false;
      /**
       * `chain_unreachable` (no chain or the RPC failed), `wrong_chain` (the list is on
       * another chain than Sello's), `not_a_trust_list` (no contract there, or one that
       * does not declare the ITrustList interface).
       */
      code: 'chain_unreachable' | 'wrong_chain' | 'not_a_trust_list';
      message: string;
    };

const erc165 = ['function supportsInterface(bytes4) view returns (bool)'];

/** Whether a read failed because of the contract (revert, bad answer) rather than the endpoint. */
const isContractAnswer = (error: unknown): boolean => ['CALL_EXCEPTION', 'BAD_DATA'].includes(String((error as { code?: unknown }).code));

async function readOne(provider: Provider, chainId: number, list: string, dids: string[]): Promise<TrustListReport> {
  const [, listChain, rawAddress] = list.split(':') as [string, string, string];
  if (Number(listChain) !== chainId) {
    return { list, ok: false, code: 'wrong_chain', message: `The list is on chain ${listChain}; Sello's chain is ${chainId}` };
  }
  const address = getAddress(rawAddress.toLowerCase());
  try {
    if ((await provider.getCode(address)) === '0x') return { list, ok: false, code: 'not_a_trust_list', message: `No contract at ${address}` };
    let supported = false;
    try {
      supported = (await new Contract(address, erc165, provider).getFunction('supportsInterface')(registryInterfaceIds.trustList)) as boolean;
    } catch (error) {
      if (!isContractAnswer(error)) throw error;
    }
    if (!supported) return { list, ok: false, code: 'not_a_trust_list', message: `The contract at ${address} is not a trust list (ERC-165 ITrustList)` };
    const contract = new Contract(address, trustListInterface, provider);
    const name = (await contract.getFunction('listName')()) as string;
    const memberships = await Promise.all(
      dids.map(async (did) => {
        const [member, since] = (await contract.getFunction('membershipOf')(did)) as unknown as [boolean, bigint];
        return { did, member, since: member ? new Date(Number(since) * 1000).toISOString() : null };
      }),
    );
    return { list, ok: true, name, memberships };
  } catch (error) {
    if (isContractAnswer(error)) return { list, ok: false, code: 'not_a_trust_list', message: `The contract at ${address} does not answer as a trust list` };
    return { list, ok: false, code: 'chain_unreachable', message: `The chain RPC did not answer: ${(error as Error).message}` };
  }
}

/**
 * Reads each list in `lists` (CAIP-10, validated by `loadConfig`) for each of `dids`.
 * `provider` null (the chain has not answered since start) makes every list
 * `chain_unreachable`. Never throws.
 */
export async function readTrustListMemberships(params: { provider: Provider | null; lists: readonly string[]; dids: string[] }): Promise<TrustListReport[]> {
  const { provider, lists, dids } = params;
  const unreachable = (list: string, message: string): TrustListReport => ({ list, ok: false, code: 'chain_unreachable', message });
  if (!provider) return lists.map((list) => unreachable(list, 'The chain RPC has not answered since Sello started'));
  let chainId: number;
  try {
    chainId = Number((await provider.getNetwork()).chainId);
  } catch (error) {
    return lists.map((list) => unreachable(list, `The chain RPC did not answer: ${(error as Error).message}`));
  }
  return Promise.all(lists.map((list) => readOne(provider, chainId, list, dids)));
}
