/**
 * The compiled `SelloRegistry` (contracts/SelloRegistry.sol, built by
 * scripts/build-contracts.mjs) and what a client needs to recognise one.
 */
import { createRequire } from 'node:module';
import { Interface, id, type InterfaceAbi } from 'ethers';

const require = createRequire(import.meta.url);
const artifact = require('../../contracts/artifacts/SelloRegistry.json') as { abi: InterfaceAbi; bytecode: string };

/** ABI and creation bytecode of the registry. */
export const registryArtifact: { abi: InterfaceAbi; bytecode: string } = artifact;

export const registryInterface = new Interface(artifact.abi);

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
} as const;

/** Transaction gas cap of Osaka (EIP-7825); most chains' blocks allow at least this. */
export const TRANSACTION_GAS_CAP = 16_777_216n;
