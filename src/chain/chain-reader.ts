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
import { registryInterface } from './registry-contract.ts';

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
      return { revoked, reason: Number(reason), revokedAt: iso(revokedAt), suspended: null, suspendedAt: null, blockNumber };
    },

    async issuerBinding() {
      throw new Error('This build of Sello has no issuer directory');
    },

    async trustListEntry() {
      throw new Error('This build of Sello reads no trust lists');
    },
  };
}
