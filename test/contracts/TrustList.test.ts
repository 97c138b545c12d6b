import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Contract, ContractFactory, id, keccak256, toUtf8Bytes } from 'ethers';
import { registryInterfaceIds, trustListArtifact, trustListInterface } from '../../src/chain/registry-contract.ts';
import { deployRegistry, events, expectRevert, send, type RegistryFixture } from './registry-fixture.ts';

const LIST_MANAGER_ROLE = id('LIST_MANAGER_ROLE');
const DEFAULT_ADMIN_ROLE = `0x${'00'.repeat(32)}`;
const didHash = (did: string) => keccak256(toUtf8Bytes(did));

describe('TrustList', () => {
  let f: RegistryFixture;
  let list: Contract;
  beforeAll(async () => {
    f = await deployRegistry();
    const deployed = await new ContractFactory(trustListArtifact.abi, trustListArtifact.bytecode, f.admin).deploy('Regional Council of Universities', f.adminAddress);
    await deployed.waitForDeployment();
    list = new Contract(await deployed.getAddress(), trustListInterface, f.admin);
  });
  afterAll(async () => {
    await f.close();
  });

  it('is named at deployment, gives the owner both roles and answers ERC-165', async () => {
    expect(await list.getFunction('listName')()).toBe('Regional Council of Universities');
    expect(await list.getFunction('hasRole')(DEFAULT_ADMIN_ROLE, f.adminAddress)).toBe(true);
    expect(await list.getFunction('hasRole')(LIST_MANAGER_ROLE, f.adminAddress)).toBe(true);
    expect(await list.getFunction('supportsInterface')(registryInterfaceIds.trustList)).toBe(true);
  });

  it('adds a member with MemberAdded(didHash, did) and answers its membership with the time it joined', async () => {
    const receipt = await send(list, 'addMember', ['did:web:uni.example']);
    expect(events(receipt, trustListInterface).map((event) => [event.name, ...event.args.toArray()])).toEqual([
      ['MemberAdded', didHash('did:web:uni.example'), 'did:web:uni.example'],
    ]);
    const block = await f.chain.provider.getBlock(receipt.blockNumber);
    expect((await list.getFunction('membershipOf')('did:web:uni.example')).toArray()).toEqual([true, BigInt(block!.timestamp)]);
    expect((await list.getFunction('membershipOf')('did:web:other.example')).toArray()).toEqual([false, 0n]);
  });

  it('removes a member with MemberRemoved(didHash, did)', async () => {
    await send(list, 'addMember', ['did:web:leaving.example']);
    const receipt = await send(list, 'removeMember', ['did:web:leaving.example']);
    expect(events(receipt, trustListInterface).map((event) => [event.name, ...event.args.toArray()])).toEqual([
      ['MemberRemoved', didHash('did:web:leaving.example'), 'did:web:leaving.example'],
    ]);
    expect((await list.getFunction('membershipOf')('did:web:leaving.example'))[0]).toBe(false);
  });

  it('reverts AlreadyMember(didHash), NotMember(didHash) and EmptyMemberDid', async () => {
    await send(list, 'addMember', ['did:web:twice.example']);
    await expectRevert(list.getFunction('addMember')('did:web:twice.example'), 'AlreadyMember', [didHash('did:web:twice.example')], trustListInterface);
    await expectRevert(list.getFunction('removeMember')('did:web:never.example'), 'NotMember', [didHash('did:web:never.example')], trustListInterface);
    await expectRevert(list.getFunction('addMember')(''), 'EmptyMemberDid', [], trustListInterface);
  });

  it('renames with ListRenamed(name), by the owner only', async () => {
    const receipt = await send(list, 'setListName', ['Council of Universities']);
    expect(events(receipt, trustListInterface).map((event) => [event.name, ...event.args.toArray()])).toEqual([['ListRenamed', 'Council of Universities']]);
    await expectRevert((list.connect(f.stranger) as Contract).getFunction('setListName')('Mine'), 'AccessControlUnauthorizedAccount', [f.strangerAddress, DEFAULT_ADMIN_ROLE], trustListInterface);
  });

  it('lets only list managers change the members', async () => {
    await expectRevert((list.connect(f.stranger) as Contract).getFunction('addMember')('did:web:evil.example'), 'AccessControlUnauthorizedAccount', [f.strangerAddress, LIST_MANAGER_ROLE], trustListInterface);
  });
});
