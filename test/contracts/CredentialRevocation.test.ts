import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { id } from 'ethers';
import { deployRegistry, events, expectRevert, randomHash, send, type RegistryFixture } from './registry-fixture.ts';

const ISSUER_ADMIN_ROLE = id('ISSUER_ADMIN_ROLE');

describe('CredentialRevocation', () => {
  let f: RegistryFixture;
  beforeAll(async () => {
    f = await deployRegistry();
  });
  afterAll(async () => {
    await f.close();
  });

  it('revokes a credential with a reason code and emits CredentialRevoked(hash, reason)', async () => {
    const hash = randomHash();
    const receipt = await send(f.registry, 'revokeCredential', [hash, 3]);
    const [event] = events(receipt);
    expect(event?.name).toBe('CredentialRevoked');
    expect(event?.args.toArray()).toEqual([hash, 3n]);
    const block = await f.chain.provider.getBlock(receipt.blockNumber);
    expect((await f.registry.getFunction('revocationOf')(hash)).toArray()).toEqual([true, 3n, BigInt(block!.timestamp)]);
  });

  it('reinstates a revoked credential and emits CredentialUnrevoked(hash)', async () => {
    const hash = randomHash();
    await send(f.registry, 'revokeCredential', [hash, 1]);
    const receipt = await send(f.registry, 'unrevokeCredential', [hash]);
    expect(events(receipt).map((event) => [event.name, ...event.args.toArray()])).toEqual([['CredentialUnrevoked', hash]]);
    expect((await f.registry.getFunction('revocationOf')(hash)).toArray()).toEqual([false, 0n, 0n]);
  });

  it('reports a credential never revoked as not revoked', async () => {
    expect((await f.registry.getFunction('revocationOf')(randomHash())).toArray()).toEqual([false, 0n, 0n]);
  });

  it('reverts a second revocation with CredentialAlreadyRevoked(hash)', async () => {
    const hash = randomHash();
    await send(f.registry, 'revokeCredential', [hash, 0]);
    await expectRevert(f.registry.getFunction('revokeCredential')(hash, 2), 'CredentialAlreadyRevoked', [hash]);
  });

  it('reverts reinstating a credential that is not revoked with CredentialNotRevoked(hash)', async () => {
    const hash = randomHash();
    await expectRevert(f.registry.getFunction('unrevokeCredential')(hash), 'CredentialNotRevoked', [hash]);
  });

  it('lets only the issuer admin revoke or reinstate', async () => {
    const hash = randomHash();
    await expectRevert(f.as(f.stranger).getFunction('revokeCredential')(hash, 1), 'AccessControlUnauthorizedAccount', [
      f.strangerAddress,
      ISSUER_ADMIN_ROLE,
    ]);
    await send(f.registry, 'revokeCredential', [hash, 1]);
    await expectRevert(f.as(f.stranger).getFunction('unrevokeCredential')(hash), 'AccessControlUnauthorizedAccount', [
      f.strangerAddress,
      ISSUER_ADMIN_ROLE,
    ]);
  });

  it('suspends a credential and emits CredentialSuspended(hash), then lifts it with CredentialUnsuspended(hash)', async () => {
    const hash = randomHash();
    const receipt = await send(f.registry, 'suspendCredential', [hash]);
    expect(events(receipt).map((event) => [event.name, ...event.args.toArray()])).toEqual([['CredentialSuspended', hash]]);
    const block = await f.chain.provider.getBlock(receipt.blockNumber);
    expect((await f.registry.getFunction('suspensionOf')(hash)).toArray()).toEqual([true, BigInt(block!.timestamp)]);
    const lifted = await send(f.registry, 'unsuspendCredential', [hash]);
    expect(events(lifted).map((event) => [event.name, ...event.args.toArray()])).toEqual([['CredentialUnsuspended', hash]]);
    expect((await f.registry.getFunction('suspensionOf')(hash)).toArray()).toEqual([false, 0n]);
  });

  it('keeps suspension and revocation apart: reinstating leaves a suspension, lifting leaves a revocation', async () => {
    const hash = randomHash();
    await send(f.registry, 'suspendCredential', [hash]);
    await send(f.registry, 'revokeCredential', [hash, 2]);
    await send(f.registry, 'unrevokeCredential', [hash]);
    expect((await f.registry.getFunction('suspensionOf')(hash))[0]).toBe(true);
    await send(f.registry, 'revokeCredential', [hash, 2]);
    await send(f.registry, 'unsuspendCredential', [hash]);
    expect((await f.registry.getFunction('revocationOf')(hash)).toArray().slice(0, 2)).toEqual([true, 2n]);
  });

  it('reverts a second suspension with CredentialAlreadySuspended(hash) and lifting none with CredentialNotSuspended(hash)', async () => {
    const hash = randomHash();
    await expectRevert(f.registry.getFunction('unsuspendCredential')(hash), 'CredentialNotSuspended', [hash]);
    await send(f.registry, 'suspendCredential', [hash]);
    await expectRevert(f.registry.getFunction('suspendCredential')(hash), 'CredentialAlreadySuspended', [hash]);
  });

  it('lets only the issuer admin suspend or lift a suspension', async () => {
    const hash = randomHash();
    await expectRevert(f.as(f.stranger).getFunction('suspendCredential')(hash), 'AccessControlUnauthorizedAccount', [
      f.strangerAddress,
      ISSUER_ADMIN_ROLE,
    ]);
    await send(f.registry, 'suspendCredential', [hash]);
    await expectRevert(f.as(f.stranger).getFunction('unsuspendCredential')(hash), 'AccessControlUnauthorizedAccount', [
      f.strangerAddress,
      ISSUER_ADMIN_ROLE,
    ]);
  });
});
