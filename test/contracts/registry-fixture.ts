/**
 * A freshly deployed SelloRegistry on a fresh embedded chain, with an admin (the
 * deployer, holding every role), a stranger and two learners, all funded. Contract tests
 * use ethers directly: they test the Solidity, not Sello's send queue.
 */
import { BaseWallet, Contract, ContractFactory, Interface, Wallet, keccak256, type ContractTransactionReceipt, type LogDescription } from 'ethers';
import { expect } from 'vitest';
import { EMBEDDED_SIGNER_KEY, startEmbeddedChain, type EmbeddedChain } from '../../src/chain/embedded-chain.ts';
import { registryArtifact, registryInterface } from '../../src/chain/registry-contract.ts';

export const BASE_URI = 'https://sello.example/chain/tokens/';

export interface RegistryFixture {
  chain: EmbeddedChain;
  admin: BaseWallet;
  adminAddress: string;
  stranger: BaseWallet;
  strangerAddress: string;
  learner: BaseWallet;
  learnerAddress: string;
  otherLearnerAddress: string;
  registry: Contract;
  /** The registry as seen by another signer. */
  as(signer: BaseWallet): Contract;
  close(): Promise<void>;
}

export async function deployRegistry(): Promise<RegistryFixture> {
  const strangerWallet = Wallet.createRandom();
  const learnerWallet = Wallet.createRandom();
  const otherLearner = Wallet.createRandom();
  const chain = await startEmbeddedChain({ fundedAccounts: [strangerWallet.address, learnerWallet.address] });
  const adminWallet = new Wallet(EMBEDDED_SIGNER_KEY, chain.provider);
  // Plain wallets, no NonceManager: it counts a nonce even for a call that reverts at
  // estimation, and the provider's cache is off, so sequential sends read fresh nonces.
  const admin = adminWallet;
  const stranger = strangerWallet.connect(chain.provider);
  const learner = learnerWallet.connect(chain.provider);
  const factory = new ContractFactory(registryArtifact.abi, registryArtifact.bytecode, admin);
  const deployed = await factory.deploy(adminWallet.address, BASE_URI);
  await deployed.waitForDeployment();
  const registry = new Contract(await deployed.getAddress(), registryInterface, admin);
  return {
    chain,
    admin,
    adminAddress: adminWallet.address,
    stranger,
    strangerAddress: strangerWallet.address,
    learner,
    learnerAddress: learnerWallet.address,
    otherLearnerAddress: otherLearner.address,
    registry,
    as: (signer) => registry.connect(signer) as Contract,
    close: () => chain.close(),
  };
}

/** Sends a registry call and returns its receipt (fails the test when it reverts). */
export async function send(contract: Contract, method: string, args: unknown[]): Promise<ContractTransactionReceipt> {
  const tx = await contract.getFunction(method)(...args);
  const receipt = (await tx.wait()) as ContractTransactionReceipt;
  expect(receipt.status).toBe(1);
  return receipt;
}

/** Expects the call to revert with the registry's custom error `name` and these arguments. */
export async function expectRevert(call: Promise<unknown>, name: string, args: unknown[] = [], iface: Interface = registryInterface): Promise<void> {
  let caught: unknown = null;
  try {
    await call;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a revert with ${name}`).not.toBeNull();
  const data = (caught as { data?: string }).data ?? (caught as { info?: { error?: { data?: string } } }).info?.error?.data;
  const parsed = iface.parseError(data ?? '0x');
  expect(parsed?.name).toBe(name);
  expect(parsed?.args.toArray().map(normalise)).toEqual(args.map(normalise));
}

function normalise(value: unknown): unknown {
  if (typeof value === 'bigint' || typeof value === 'number') return BigInt(value).toString();
  if (typeof value === 'string') return value.toLowerCase();
  return value;
}

/** The registry's events in a receipt, decoded, in log order (anonymous anchor logs skipped). */
export function events(receipt: ContractTransactionReceipt, iface: Interface = registryInterface): LogDescription[] {
  return receipt.logs.flatMap((log) => {
    try {
      const parsed = iface.parseLog(log);
      return parsed ? [parsed] : [];
    } catch {
      return [];
    }
  });
}

export function keyRef(did: string, keyId: string): string {
  return keccak256(registryInterface.getAbiCoder().encode(['string', 'string'], [did, keyId]));
}

/** 32 random bytes as a credential hash. */
export function randomHash(): string {
  return Wallet.createRandom().privateKey;
}
