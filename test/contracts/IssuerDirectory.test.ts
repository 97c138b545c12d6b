import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Contract, ContractFactory, keccak256, parseEther, toUtf8Bytes } from 'ethers';
import {
  DEPLOYMENT_PROXY,
  ISSUER_DIRECTORY_ADDRESS,
  ISSUER_DIRECTORY_SALT,
  issuerDirectoryArtifact,
  issuerDirectoryInterface,
  registryArtifact,
  registryInterfaceIds,
} from '../../src/chain/registry-contract.ts';
import { BASE_URI, deployRegistry, events, expectRevert, send, type RegistryFixture } from './registry-fixture.ts';

const didHash = (did: string) => keccak256(toUtf8Bytes(did));
let counter = 0;
const nextDid = () => `did:web:uni${(counter += 1)}.example`;

describe('IssuerDirectory', () => {
  let f: RegistryFixture;
  let directory: Contract;
  let ours: string;
  let strangers: string;

  beforeAll(async () => {
    f = await deployRegistry();
    // Deployed as on any chain without the proxy: fund the keyless account, send the
    // pre-signed transaction, then CREATE2 through the proxy.
    await (await f.admin.sendTransaction({ to: DEPLOYMENT_PROXY.deployer, value: DEPLOYMENT_PROXY.deploymentCostWei })).wait();
    await f.chain.request({ method: 'eth_sendRawTransaction', params: [DEPLOYMENT_PROXY.rawTransaction] });
    await (await f.admin.sendTransaction({ to: DEPLOYMENT_PROXY.address, data: ISSUER_DIRECTORY_SALT + issuerDirectoryArtifact.bytecode.slice(2) })).wait();
    directory = new Contract(ISSUER_DIRECTORY_ADDRESS, issuerDirectoryInterface, f.admin);
    ours = await f.registry.getAddress();
    // A second registry, deployed and administered by the stranger.
    const factory = new ContractFactory(registryArtifact.abi, registryArtifact.bytecode, f.stranger);
    await (await f.admin.sendTransaction({ to: f.strangerAddress, value: parseEther('1') })).wait();
    const deployed = await factory.deploy(f.strangerAddress, BASE_URI);
    await deployed.waitForDeployment();
    strangers = await deployed.getAddress();
  });
  afterAll(async () => {
    await f.close();
  });

  const as = (signer: typeof f.admin) => directory.connect(signer) as Contract;
  const binding = async (did: string) => (await directory.getFunction('issuerOf')(did)).toArray();

  it('sits at the address CREATE2 through the deployment proxy gives on every chain, and answers ERC-165', async () => {
    expect((await f.chain.provider.getCode(ISSUER_DIRECTORY_ADDRESS)).length).toBeGreaterThan(2);
    expect(await directory.getFunction('supportsInterface')(registryInterfaceIds.issuerDirectory)).toBe(true);
  });

  it('binds an unclaimed DID to the registry and the claimant, emitting IssuerClaimed(didHash, registry, controller, did)', async () => {
    const did = nextDid();
    const receipt = await send(directory, 'claimIssuer', [did, ours]);
    expect(events(receipt, issuerDirectoryInterface).map((event) => [event.name, ...event.args.toArray()])).toEqual([
      ['IssuerClaimed', didHash(did), ours, f.adminAddress, did],
    ]);
    const block = await f.chain.provider.getBlock(receipt.blockNumber);
    expect(await binding(did)).toEqual([ours, BigInt(block!.timestamp), f.adminAddress, BigInt(receipt.blockNumber)]);
  });

  it('reverts a second claim of the same DID, by anyone for any registry, with IssuerAlreadyClaimed(didHash, registry, controller)', async () => {
    const did = nextDid();
    await send(directory, 'claimIssuer', [did, ours]);
    await expectRevert(as(f.stranger).getFunction('claimIssuer')(did, strangers), 'IssuerAlreadyClaimed', [didHash(did), ours, f.adminAddress], issuerDirectoryInterface);
    await expectRevert(directory.getFunction('claimIssuer')(did, ours), 'IssuerAlreadyClaimed', [didHash(did), ours, f.adminAddress], issuerDirectoryInterface);
  });

  it("reverts a claim for a registry the caller does not manage with NotRegistryAdmin(registry, account)", async () => {
    await expectRevert(as(f.stranger).getFunction('claimIssuer')(nextDid(), ours), 'NotRegistryAdmin', [ours, f.strangerAddress], issuerDirectoryInterface);
    await expectRevert(directory.getFunction('claimIssuer')(nextDid(), f.learnerAddress), 'NotRegistryAdmin', [f.learnerAddress, f.adminAddress], issuerDirectoryInterface);
  });

  it('reverts an empty DID with EmptyIssuerDid', async () => {
    await expectRevert(directory.getFunction('claimIssuer')('', ours), 'EmptyIssuerDid', [], issuerDirectoryInterface);
  });

  it('lets only the controller move a DID, emitting IssuerMoved(didHash, previous, registry)', async () => {
    const did = nextDid();
    await send(directory, 'claimIssuer', [did, ours]);
    await expectRevert(as(f.stranger).getFunction('moveIssuer')(did, strangers), 'NotIssuerController', [didHash(did), f.strangerAddress], issuerDirectoryInterface);
    // The admin hands control to the stranger, who may then move it to a registry they manage.
    const handed = await send(directory, 'transferIssuerControl', [did, f.strangerAddress]);
    expect(events(handed, issuerDirectoryInterface).map((event) => [event.name, ...event.args.toArray()])).toEqual([
      ['IssuerControlTransferred', didHash(did), f.adminAddress, f.strangerAddress],
    ]);
    const moved = await send(as(f.stranger), 'moveIssuer', [did, strangers]);
    expect(events(moved, issuerDirectoryInterface).map((event) => [event.name, ...event.args.toArray()])).toEqual([
      ['IssuerMoved', didHash(did), ours, strangers],
    ]);
    expect((await binding(did))[0]).toBe(strangers);
    await expectRevert(directory.getFunction('transferIssuerControl')(did, f.adminAddress), 'NotIssuerController', [didHash(did), f.adminAddress], issuerDirectoryInterface);
  });

  it('reverts changes to an unclaimed DID with IssuerNotClaimed(didHash), and a zero controller with ZeroAddress', async () => {
    const did = nextDid();
    await expectRevert(directory.getFunction('moveIssuer')(did, ours), 'IssuerNotClaimed', [didHash(did)], issuerDirectoryInterface);
    await send(directory, 'claimIssuer', [did, ours]);
    await expectRevert(directory.getFunction('transferIssuerControl')(did, `0x${'00'.repeat(20)}`), 'ZeroAddress', [], issuerDirectoryInterface);
  });

  it('answers an all-zero binding for a DID never claimed', async () => {
    expect(await binding(nextDid())).toEqual([`0x${'00'.repeat(20)}`, 0n, `0x${'00'.repeat(20)}`, 0n]);
  });
});
