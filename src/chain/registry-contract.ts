/**
 * The compiled `SelloRegistry` (contracts/SelloRegistry.sol, built by
 * scripts/build-contracts.mjs) and what a client needs to recognise one.
 */
import { Interface, getCreate2Address, id, keccak256, type InterfaceAbi } from 'ethers';
// Imported (not read from disk) so that the verifier page's bundle carries them too.
import registryArtifactFile from '../../contracts/artifacts/SelloRegistry.json' with { type: 'json' };
import directoryArtifactFile from '../../contracts/artifacts/IssuerDirectory.json' with { type: 'json' };
import trustListArtifactFile from '../../contracts/artifacts/TrustList.json' with { type: 'json' };

const artifact = registryArtifactFile as { abi: InterfaceAbi; bytecode: string };

/** ABI and creation bytecode of the registry. */
export const registryArtifact: { abi: InterfaceAbi; bytecode: string } = artifact;

export const registryInterface = new Interface(artifact.abi);

const directoryArtifact = directoryArtifactFile as { abi: InterfaceAbi; bytecode: string };

/** ABI and creation bytecode of the chain-wide issuer directory (contracts/IssuerDirectory.sol). */
export const issuerDirectoryArtifact: { abi: InterfaceAbi; bytecode: string } = directoryArtifact;
export const issuerDirectoryInterface = new Interface(directoryArtifact.abi);

/** ABI and creation bytecode of a consortium trust list (contracts/TrustList.sol). */
export const trustListArtifact: { abi: InterfaceAbi; bytecode: string } = trustListArtifactFile as { abi: InterfaceAbi; bytecode: string };
export const trustListInterface = new Interface(trustListArtifact.abi);

/**
 * The deterministic deployment proxy (https://github.com/Arachnid/deterministic-deployment-proxy):
 * present at this address on most EVM chains, and deployable on any other by a
 * pre-signed transaction without chain id (Nick's method) from a keyless account.
 * Calldata `salt (32 bytes) ‖ creation code` deploys with CREATE2.
 */
export const DEPLOYMENT_PROXY = {
  address: '0x4e59b44847b379578588920cA78FbF26c0B4956C',
  deployer: '0x3fAB184622Dc19b6109349B94811493BF2a45362',
  /** Gas limit 100,000 at 100 gwei: what the deployer account must hold. */
  deploymentCostWei: 10n ** 16n,
  rawTransaction:
    '0xf8a58085174876e800830186a08080b853604580600e600039806000f350fe7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf31ba02222222222222222222222222222222222222222222222222222222222222222a02222222222222222222222222222222222222222222222222222222222222222',
} as const;

/** The CREATE2 salt of the issuer directory: its name and version. */
export const ISSUER_DIRECTORY_SALT = id('sello.IssuerDirectory.v1');

/** The issuer directory's address, the same on every EVM chain. */
export const ISSUER_DIRECTORY_ADDRESS = getCreate2Address(DEPLOYMENT_PROXY.address, ISSUER_DIRECTORY_SALT, keccak256(directoryArtifact.bytecode));

/** First four bytes of every anchor log's data word (`BatchAnchor.ANCHOR_LOG_TAG`). */
export const ANCHOR_LOG_TAG = id('SelloAnchor(bytes32[])').slice(0, 10);

/** ERC-165 identifier of an interface: the XOR of its function selectors. */
function interfaceId(signatures: string[]): string {
  let value = 0n;
  for (const signature of signatures) value ^= BigInt(id(signature).slice(0, 10));
  return `0x${value.toString(16).padStart(8, '0')}`;
}

/**
 * The ERC-165 identifiers a Sello registry answers `true` for. Checked by verifiers to
 * tell a Sello registry from any other contract; test/contracts asserts they match the
 * Solidity interfaces.
 */
export const registryInterfaceIds = {
  batchAnchor: interfaceId(['anchorBatch(bytes32[])', 'batchCount()', 'deploymentBlock()']),
  credentialRevocation: interfaceId([
    'revokeCredential(bytes32,uint16)',
    'unrevokeCredential(bytes32)',
    'revocationOf(bytes32)',
  ]),
  credentialSuspension: interfaceId(['suspendCredential(bytes32)', 'unsuspendCredential(bytes32)', 'suspensionOf(bytes32)']),
  issuerKeyRegistry: interfaceId([
    'registerIssuerKey(string,string,string,uint64,uint64)',
    'setIssuerKeyExpiry(string,string,uint64)',
    'rotateIssuerKey(string,string,string,string,uint64)',
    'revokeIssuerKey(string,string)',
    'issuerKey(string,string)',
    'issuerKeyIdByMultibase(string,string)',
    'isIssuerKeyValidAt(string,string,uint64)',
  ]),
  erc5192: '0xb45a3c0e',
  issuerDirectory: interfaceId([
    'claimIssuer(string,address)',
    'moveIssuer(string,address)',
    'transferIssuerControl(string,address)',
    'issuerOf(string)',
  ]),
  trustList: interfaceId(['listName()', 'addMember(string)', 'removeMember(string)', 'setListName(string)', 'membershipOf(string)']),
} as const;

/** Transaction gas cap of Osaka (EIP-7825); most chains' blocks allow at least this. */
export const TRANSACTION_GAS_CAP = 16_777_216n;
