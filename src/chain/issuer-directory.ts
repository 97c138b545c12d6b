/**
 * Sello's side of the chain-wide issuer directory (contracts/IssuerDirectory.sol): make
 * sure the directory exists on the chain (at its deterministic address, deploying the
 * deployment proxy and then the directory where either is missing, as on the embedded
 * chain), and claim the deployment's issuer DIDs for its registry.
 */
import { Contract } from 'ethers';
import type { Logger } from '../logger.ts';
import { ChainError } from './chain-error.ts';
import type { ChainService } from './open-chain.ts';
import {
  DEPLOYMENT_PROXY,
  ISSUER_DIRECTORY_ADDRESS,
  ISSUER_DIRECTORY_SALT,
  issuerDirectoryArtifact,
  issuerDirectoryInterface,
  registryInterface,
} from './registry-contract.ts';
import { describeRpcError } from './rpc-errors.ts';

export interface ClaimIssuerDidsReport {
  claimed: string[];
  moved: string[];
  unchanged: string[];
  /** DIDs bound to another registry by another controller: their credentials from this registry fail `issuer_registered`. */
  claimedElsewhere: Array<{ did: string; registry: string; controller: string }>;
}

async function hasCode(chain: ChainService, address: string): Promise<boolean> {
  try {
    return (await chain.provider.getCode(address)) !== '0x';
  } catch (error) {
    throw describeRpcError(error);
  }
}

async function sendAndWait(chain: ChainService, purpose: string, to: string, data: string, value?: bigint): Promise<void> {
  const tx = await chain.sender.submit({ purpose, to, data, value });
  const final = await chain.sender.waitForFinal(tx.id);
  if (final.status !== 'confirmed') {
    throw new ChainError('transaction_reverted', `${purpose} failed on chain (${final.status})`, { txHash: final.txHash, purpose });
  }
}

/**
 * The issuer directory's address on this chain, deployed first when missing: the
 * deployment proxy by its pre-signed keyless transaction (after funding that account),
 * then the directory through the proxy with CREATE2. Idempotent.
 *
 * @throws ChainError from the send queue, `transaction_reverted`, `chain_unreachable`.
 */
export async function ensureIssuerDirectory(params: { chain: ChainService; log?: Logger }): Promise<string> {
  const { chain } = params;
  if (await hasCode(chain, ISSUER_DIRECTORY_ADDRESS)) return ISSUER_DIRECTORY_ADDRESS;
  if (!(await hasCode(chain, DEPLOYMENT_PROXY.address))) {
    const balance = await chain.provider.getBalance(DEPLOYMENT_PROXY.deployer);
    if (balance < DEPLOYMENT_PROXY.deploymentCostWei) {
      await sendAndWait(chain, 'fund_deployment_proxy', DEPLOYMENT_PROXY.deployer, '0x', DEPLOYMENT_PROXY.deploymentCostWei - balance);
    }
    const { txHash } = await chain.sender.broadcastForeign(DEPLOYMENT_PROXY.rawTransaction);
    await chain.provider.waitForTransaction(txHash, 1, 120_000);
    if (!(await hasCode(chain, DEPLOYMENT_PROXY.address))) {
      throw new ChainError('transaction_reverted', 'The deterministic deployment proxy could not be deployed', { txHash });
    }
    params.log?.info({ proxy: DEPLOYMENT_PROXY.address, txHash }, 'deterministic deployment proxy deployed');
  }
  await sendAndWait(chain, 'deploy_issuer_directory', DEPLOYMENT_PROXY.address, ISSUER_DIRECTORY_SALT + issuerDirectoryArtifact.bytecode.slice(2));
  if (!(await hasCode(chain, ISSUER_DIRECTORY_ADDRESS))) {
    throw new ChainError('transaction_reverted', `The issuer directory did not appear at ${ISSUER_DIRECTORY_ADDRESS}`);
  }
  params.log?.info({ directory: ISSUER_DIRECTORY_ADDRESS }, 'issuer directory deployed');
  return ISSUER_DIRECTORY_ADDRESS;
}

/**
 * Binds each DID to this deployment's registry in the directory: claims the unclaimed,
 * moves those this signer controls that point elsewhere (a new registry), and reports
 * those someone else holds (never fatal: the other binding stands, first claim wins).
 * Also names the deployment's main DID in the registry's token metadata.
 *
 * @throws ChainError from the send queue, `transaction_reverted`, `chain_unreachable`.
 */
export async function claimIssuerDids(params: {
  chain: ChainService;
  dids: string[];
  /** The DID the soulbound tokens' metadata names (the deployment's did:web). */
  tokenIssuer?: string | null;
  log?: Logger;
}): Promise<ClaimIssuerDidsReport> {
  const { chain } = params;
  const report: ClaimIssuerDidsReport = { claimed: [], moved: [], unchanged: [], claimedElsewhere: [] };
  const directory = new Contract(await ensureIssuerDirectory(params), issuerDirectoryInterface, chain.provider);
  const ours = chain.contractAddress.toLowerCase();
  for (const did of [...new Set(params.dids)]) {
    let binding: { registry: string; controller: string };
    try {
      binding = (await directory.getFunction('issuerOf')(did)) as { registry: string; controller: string };
    } catch (error) {
      throw describeRpcError(error);
    }
    if (binding.registry.toLowerCase() === ours) {
      report.unchanged.push(did);
    } else if (/^0x0{40}$/i.test(binding.registry)) {
      await sendAndWait(chain, 'claim_issuer', ISSUER_DIRECTORY_ADDRESS, issuerDirectoryInterface.encodeFunctionData('claimIssuer', [did, chain.contractAddress]));
      report.claimed.push(did);
    } else if (binding.controller.toLowerCase() === chain.signer.toLowerCase()) {
      await sendAndWait(chain, 'move_issuer', ISSUER_DIRECTORY_ADDRESS, issuerDirectoryInterface.encodeFunctionData('moveIssuer', [did, chain.contractAddress]));
      report.moved.push(did);
    } else {
      report.claimedElsewhere.push({ did, registry: binding.registry, controller: binding.controller });
      params.log?.error(
        { did, registry: binding.registry, controller: binding.controller, ours: chain.contractAddress },
        "the issuer DID is bound to another registry in the chain's issuer directory: credentials from this registry will fail issuer_registered",
      );
    }
  }
  if (params.tokenIssuer) {
    let current: string;
    try {
      current = (await chain.registry.getFunction('tokenIssuer')()) as string;
    } catch {
      // A registry deployed before token metadata was built on chain: nothing to set.
      current = params.tokenIssuer;
    }
    if (current !== params.tokenIssuer) {
      await sendAndWait(chain, 'token_issuer', chain.contractAddress, registryInterface.encodeFunctionData('setTokenIssuer', [params.tokenIssuer]));
    }
  }
  if (report.claimed.length + report.moved.length > 0) params.log?.info(report, 'issuer DIDs bound in the issuer directory');
  return report;
}
