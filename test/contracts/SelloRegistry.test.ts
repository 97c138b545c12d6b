import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { id } from 'ethers';
import { isSelloRegistry } from '../../src/chain/is-sello-registry.ts';
import { registryInterfaceIds } from '../../src/chain/registry-contract.ts';
import { deployRegistry, type RegistryFixture } from './registry-fixture.ts';

describe('SelloRegistry', () => {
  let f: RegistryFixture;
  beforeAll(async () => {
    f = await deployRegistry();
  });
  afterAll(async () => {
    await f.close();
  });

  it('answers ERC-165 for each Sello interface with the ids clients compute', async () => {
    const supports = f.registry.getFunction('supportsInterface');
    expect(await supports(registryInterfaceIds.batchAnchor)).toBe(true);
    expect(await supports(registryInterfaceIds.credentialRevocation)).toBe(true);
    expect(await supports(registryInterfaceIds.credentialSuspension)).toBe(true);
    expect(await supports(registryInterfaceIds.issuerKeyRegistry)).toBe(true);
    expect(await supports(registryInterfaceIds.erc5192)).toBe(true);
    expect(await supports('0x7965db0b')).toBe(true); // IAccessControl
    expect(await supports('0xffffffff')).toBe(false);
    expect(await isSelloRegistry(f.chain.provider, await f.registry.getAddress())).toBe(true);
  });

  it('is not mistaken for another contract or an account', async () => {
    expect(await isSelloRegistry(f.chain.provider, f.learnerAddress)).toBe(false);
  });

  it('gives the admin every role and nobody else any', async () => {
    const roles = [`0x${'00'.repeat(32)}`, id('ISSUER_ADMIN_ROLE'), id('ANCHORER_ROLE'), id('MINTER_ROLE')];
    for (const role of roles) {
      expect(await f.registry.getFunction('hasRole')(role, f.adminAddress)).toBe(true);
      expect(await f.registry.getFunction('hasRole')(role, f.strangerAddress)).toBe(false);
    }
  });

  it('is named as an ERC-721 collection', async () => {
    expect(await f.registry.getFunction('name')()).toBe('Sello Credential');
    expect(await f.registry.getFunction('symbol')()).toBe('SELLO');
  });
});
