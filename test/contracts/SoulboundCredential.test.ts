import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Interface, id } from 'ethers';
import { BASE_URI, deployRegistry, events, expectRevert, randomHash, send, type RegistryFixture } from './registry-fixture.ts';

const MINTER_ROLE = id('MINTER_ROLE');
const DEFAULT_ADMIN_ROLE = `0x${'00'.repeat(32)}`;

describe('SoulboundCredential', () => {
  let f: RegistryFixture;
  let minted: string;
  beforeAll(async () => {
    f = await deployRegistry();
    minted = randomHash();
    await send(f.registry, 'mintBatch', [[f.learnerAddress], [minted]]);
  });
  afterAll(async () => {
    await f.close();
  });

  it('mints one token per credential, token id = credential hash, emitting Transfer and Locked', async () => {
    const hashes = [randomHash(), randomHash()];
    const receipt = await send(f.registry, 'mintBatch', [[f.learnerAddress, f.otherLearnerAddress], hashes]);
    expect(events(receipt).map((event) => [event.name, ...event.args.toArray()])).toEqual([
      ['Transfer', '0x0000000000000000000000000000000000000000', f.learnerAddress, BigInt(hashes[0]!)],
      ['Locked', BigInt(hashes[0]!)],
      ['Transfer', '0x0000000000000000000000000000000000000000', f.otherLearnerAddress, BigInt(hashes[1]!)],
      ['Locked', BigInt(hashes[1]!)],
    ]);
    expect(await f.registry.getFunction('ownerOf')(BigInt(hashes[1]!))).toBe(f.otherLearnerAddress);
    expect(await f.registry.getFunction('locked')(BigInt(hashes[0]!))).toBe(true);
  });

  it('skips tokens that already exist, so a resent batch is harmless', async () => {
    const fresh = randomHash();
    const count = await f.registry.getFunction('mintBatch').staticCall([f.learnerAddress, f.learnerAddress], [minted, fresh]);
    expect(count).toBe(1n);
  });

  it('answers tokenURI with on-chain JSON metadata (name, hash, issuer, registry, locked) and external_url to Sello', async () => {
    const receipt = await send(f.registry, 'setTokenIssuer', ['did:web:uni.example']);
    expect(events(receipt).map((event) => [event.name, ...event.args.toArray()])).toEqual([['TokenIssuerUpdated', 'did:web:uni.example']]);
    const metadata = async () => {
      const uri = (await f.registry.getFunction('tokenURI')(BigInt(minted))) as string;
      expect(uri.startsWith('data:application/json;base64,')).toBe(true);
      return JSON.parse(Buffer.from(uri.slice('data:application/json;base64,'.length), 'base64').toString('utf8'));
    };
    const registry = `eip155:31337:${await f.registry.getAddress()}`;
    expect(await metadata()).toEqual({
      name: `Sello Credential ${minted}`,
      description: expect.stringContaining('Open Badges 3.0'),
      credential_hash: minted,
      issuer: 'did:web:uni.example',
      registry,
      locked: true,
      external_url: `${BASE_URI}${minted}`,
      attributes: [
        { trait_type: 'issuer', value: 'did:web:uni.example' },
        { trait_type: 'registry', value: registry },
        { trait_type: 'locked', value: 'true' },
      ],
    });
    const changed = await send(f.registry, 'setBaseURI', ['https://new.example/t/']);
    expect(events(changed).map((event) => [event.name, ...event.args.toArray()])).toEqual([['BaseURIUpdated', 'https://new.example/t/']]);
    expect((await metadata()).external_url).toBe(`https://new.example/t/${minted}`);
  });

  it('escapes the issuer DID inside the metadata JSON', async () => {
    await send(f.registry, 'setTokenIssuer', ['did:web:a"b\\c']);
    const uri = (await f.registry.getFunction('tokenURI')(BigInt(minted))) as string;
    expect(JSON.parse(Buffer.from(uri.split(',')[1]!, 'base64').toString('utf8')).issuer).toBe('did:web:a"b\\c');
  });

  it('reverts a transfer by the owner with SoulboundTokenLocked(tokenId)', async () => {
    await expectRevert(
      f.as(f.learner).getFunction('transferFrom')(f.learnerAddress, f.strangerAddress, BigInt(minted)),
      'SoulboundTokenLocked',
      [BigInt(minted)],
    );
    await expectRevert(
      f.as(f.learner).getFunction('safeTransferFrom(address,address,uint256)')(f.learnerAddress, f.strangerAddress, BigInt(minted)),
      'SoulboundTokenLocked',
      [BigInt(minted)],
    );
  });

  it('reverts a transfer by anyone else, the minter included, with SoulboundTokenLocked(tokenId)', async () => {
    await expectRevert(
      f.registry.getFunction('transferFrom')(f.learnerAddress, f.adminAddress, BigInt(minted)),
      'SoulboundTokenLocked',
      [BigInt(minted)],
    );
  });

  it('reverts approvals with SoulboundApprovalDisabled', async () => {
    await expectRevert(f.as(f.learner).getFunction('approve')(f.strangerAddress, BigInt(minted)), 'SoulboundApprovalDisabled');
    await expectRevert(f.as(f.learner).getFunction('setApprovalForAll')(f.strangerAddress, true), 'SoulboundApprovalDisabled');
  });

  it('reverts arrays of different lengths with MintBatchLengthMismatch(recipients, hashes)', async () => {
    await expectRevert(f.registry.getFunction('mintBatch')([f.learnerAddress, f.learnerAddress], [randomHash()]), 'MintBatchLengthMismatch', [
      2n,
      1n,
    ]);
  });

  it('reverts locked() for a token that does not exist with ERC721NonexistentToken(tokenId)', async () => {
    const missing = BigInt(randomHash());
    await expectRevert(f.registry.getFunction('locked')(missing), 'ERC721NonexistentToken', [missing]);
  });

  it('lets only the minter mint and only the default admin change the base URI or the token issuer', async () => {
    await expectRevert(f.as(f.stranger).getFunction('setTokenIssuer')('did:web:evil.example'), 'AccessControlUnauthorizedAccount', [
      f.strangerAddress,
      DEFAULT_ADMIN_ROLE,
    ]);
    await expectRevert(
      f.as(f.stranger).getFunction('mintBatch')([f.strangerAddress], [randomHash()]),
      'AccessControlUnauthorizedAccount',
      [f.strangerAddress, MINTER_ROLE],
    );
    await expectRevert(f.as(f.stranger).getFunction('setBaseURI')('https://evil.example/'), 'AccessControlUnauthorizedAccount', [
      f.strangerAddress,
      DEFAULT_ADMIN_ROLE,
    ]);
  });

  it('declares ERC-5192 and ERC-721 through ERC-165', async () => {
    const erc721 = new Interface(['function supportsInterface(bytes4) view returns (bool)']);
    void erc721;
    expect(await f.registry.getFunction('supportsInterface')('0xb45a3c0e')).toBe(true);
    expect(await f.registry.getFunction('supportsInterface')('0x80ac58cd')).toBe(true);
    expect(await f.registry.getFunction('supportsInterface')('0x5b5e139f')).toBe(true);
  });
});
