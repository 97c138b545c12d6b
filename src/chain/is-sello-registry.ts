import { Contract, type Provider } from 'ethers';
import { registryInterfaceIds } from './registry-contract.ts';

/**
 * True when `address` holds a contract that answers ERC-165 `supportsInterface` with
 * true for every Sello registry interface (anchoring, revocation, issuer keys).
 *
 * @see https://eips.ethereum.org/EIPS/eip-165
 */
export async function isSelloRegistry(provider: Provider, address: string): Promise<boolean> {
  const code = await provider.getCode(address);
  if (code === '0x') return false;
  const contract = new Contract(address, ['function supportsInterface(bytes4) view returns (bool)'], provider);
  try {
    const answers = await Promise.all(
      [registryInterfaceIds.batchAnchor, registryInterfaceIds.credentialRevocation, registryInterfaceIds.issuerKeyRegistry].map(
        (interfaceId) => contract.getFunction('supportsInterface')(interfaceId) as Promise<boolean>,
      ),
    );
    return answers.every(Boolean);
  } catch {
    return false;
  }
}

