/**
 * Sello's `ChainReader` (src/credentials/chain-reader.ts): what verification reads from
 * a chain, with nothing but a JSON-RPC endpoint. Each method checks that the endpoint is
 * the chain asked about and throws when it cannot answer; `verifyCredential` turns a
 * throw into a named failure or a fallback.
 *
 * @see https://github.com/ChainAgnostic/CAIPs/blob/main/CAIPs/caip-10.md
 */
import { Contract, FetchRequest, JsonRpcProvider, getAddress, isAddress, type Provider } from 'ethers';
import type { ChainContractRef, ChainIssuerKey, ChainReader } from '../credentials/chain-reader.ts';
import {
  ISSUER_DIRECTORY_ADDRESS,
  issuerDirectoryInterface,
  registryInterface,
  registryInterfaceIds,
  trustListInterface,
} from './registry-contract.ts';

/** A provider for a JSON-RPC URL, as verifiers use it (no cache: state changes between reads). */
export function verifierProvider(rpcUrl: string): JsonRpcProvider {
  const request = new FetchRequest(rpcUrl);
  request.timeout = 20_000;
  return new JsonRpcProvider(request, undefined, { staticNetwork: true, cacheTimeout: -1, batchMaxCount: 1 });
}

const iso = (seconds: bigint): string | null => (seconds === 0n ? null : new Date(Number(seconds) * 1000).toISOString());

/** Creates the reader over an RPC URL or an ethers provider. */
export function createChainReader(params: { rpcUrl: string } | { provider: Provider }): ChainReader {
  const provider = 'provider' in params ? params.provider : verifierProvider(params.rpcUrl);
  let chainIdRead: Promise<number> | null = null;
  const chainId = () => {
    chainIdRead ??= provider.getNetwork().then((network) => Number(network.chainId));
    chainIdRead.catch(() => (chainIdRead = null));
    return chainIdRead;
  };
  const onChain = async (ref: { chainId: number; contract?: string }): Promise<string | null> => {
    const endpoint = await chainId();
    if (endpoint !== ref.chainId) throw new Error(`The RPC endpoint is chain ${endpoint}, not chain ${ref.chainId}`);
    if (ref.contract === undefined) return null;
    if (!isAddress(ref.contract)) throw new Error(`Not a contract address: ${ref.contract}`);
    return getAddress(ref.contract);
  };
  const registryAt = async (ref: ChainContractRef) => new Contract((await onChain(ref))!, registryInterface, provider);
  const supports = async (address: string, interfaceId: string): Promise<boolean> => {
    const contract = new Contract(address, ['function supportsInterface(bytes4) view returns (bool)'], provider);
    try {
      return (await contract.getFunction('supportsInterface')(interfaceId)) as boolean;
    } catch (error) {
      // A contract without ERC-165 reverts (a CALL_EXCEPTION); anything else is the endpoint failing.
      if ((error as { code?: string }).code === 'CALL_EXCEPTION') return false;
      throw error;
    }
  };

  return {
    chainId,

    async issuerKey({ did, verificationMethod, ...ref }): Promise<ChainIssuerKey | null> {
      const registry = await registryAt(ref);
      const read = async (keyId: string) => {
        const record = (await registry.getFunction('issuerKey')(did, keyId)) as unknown as {
          publicKeyMultibase: string;
          validFrom: bigint;
          validUntil: bigint;
          revokedAt: bigint;
          registered: boolean;
        };
        if (!record.registered) return null;
        return {
          keyId,
          publicKeyMultibase: record.publicKeyMultibase,
          validFrom: new Date(Number(record.validFrom) * 1000).toISOString(),
          validUntil: iso(record.validUntil),
          revokedAt: iso(record.revokedAt),
        };
      };
      const byId = await read(verificationMethod);
      if (byId) return byId;
      // A did:key verification method is the key itself: find the id it was registered under.
      const multibase = verificationMethod.includes('#') ? verificationMethod.slice(verificationMethod.indexOf('#') + 1) : verificationMethod;
      const keyId = (await registry.getFunction('issuerKeyIdByMultibase')(did, multibase)) as string;
      return keyId ? read(keyId) : null;
    },

    async credentialStatus({ credentialHash, ...ref }) {
      const registry = await registryAt(ref);
      const blockNumber = await provider.getBlockNumber();
      const [revoked, reason, revokedAt] = (await registry.getFunction('revocationOf')(credentialHash, { blockTag: blockNumber })) as [
        boolean,
        bigint,
        bigint,
      ];
      let suspended: boolean | null = null;
      let suspendedAt: string | null = null;
      if (await supports(await registry.getAddress(), registryInterfaceIds.credentialSuspension)) {
        const [isSuspended, at] = (await registry.getFunction('suspensionOf')(credentialHash, { blockTag: blockNumber })) as [boolean, bigint];
        suspended = isSuspended;
        suspendedAt = iso(at);
      }
      return { revoked, reason: Number(reason), revokedAt: iso(revokedAt), suspended, suspendedAt, blockNumber };
    },

    async issuerBinding({ chainId: wanted, did }) {
      await onChain({ chainId: wanted });
      if ((await provider.getCode(ISSUER_DIRECTORY_ADDRESS)) === '0x') return null;
      const directory = new Contract(ISSUER_DIRECTORY_ADDRESS, issuerDirectoryInterface, provider);
      const binding = (await directory.getFunction('issuerOf')(did)) as unknown as {
        registry: string;
        boundAt: bigint;
        controller: string;
        boundAtBlock: bigint;
      };
      if (/^0x0{40}$/i.test(binding.registry)) return null;
      return {
        directory: ISSUER_DIRECTORY_ADDRESS,
        registry: getAddress(binding.registry),
        controller: getAddress(binding.controller),
        boundAt: new Date(Number(binding.boundAt) * 1000).toISOString(),
        blockNumber: Number(binding.boundAtBlock),
      };
    },

    async trustListEntry({ did, ...ref }) {
      const address = (await onChain(ref))!;
      if (!(await supports(address, registryInterfaceIds.trustList))) throw new Error(`${address} is not a trust list on chain ${ref.chainId}`);
      const list = new Contract(address, trustListInterface, provider);
      const [name, [member, since]] = (await Promise.all([list.getFunction('listName')(), list.getFunction('membershipOf')(did)])) as [
        string,
        [boolean, bigint],
      ];
      return { list: `eip155:${ref.chainId}:${address}`, name, member, since: iso(since) };
    },
  };
}
