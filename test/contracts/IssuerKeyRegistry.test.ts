import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { id, keccak256, toUtf8Bytes } from 'ethers';
import { deployRegistry, events, expectRevert, keyRef, send, type RegistryFixture } from './registry-fixture.ts';

const ISSUER_ADMIN_ROLE = id('ISSUER_ADMIN_ROLE');
const DID = 'did:web:uni.example';
const JAN_2026 = 1_767_225_600n;
const JAN_2027 = 1_798_761_600n;
let counter = 0;
const nextKey = () => {
  counter += 1;
  return { keyId: `${DID}#key-${counter}`, multibase: `z6MkTestKey${counter}` };
};

describe('IssuerKeyRegistry', () => {
  let f: RegistryFixture;
  beforeAll(async () => {
    f = await deployRegistry();
  });
  afterAll(async () => {
    await f.close();
  });

  it('registers a key and emits IssuerKeyRegistered with the DID, key id, multibase key and validity', async () => {
    const { keyId, multibase } = nextKey();
    const receipt = await send(f.registry, 'registerIssuerKey', [DID, keyId, multibase, JAN_2026, 0n]);
    const [event] = events(receipt);
    expect(event?.name).toBe('IssuerKeyRegistered');
    expect(event?.args.toArray()).toEqual([keccak256(toUtf8Bytes(DID)), keyRef(DID, keyId), DID, keyId, multibase, JAN_2026, 0n]);
    const stored = await f.registry.getFunction('issuerKey')(DID, keyId);
    expect(stored.toArray()).toEqual([multibase, JAN_2026, 0n, 0n, true]);
    expect(await f.registry.getFunction('issuerKeyIdByMultibase')(DID, multibase)).toBe(keyId);
  });

  it('answers whether a key was valid at a moment: from validFrom included to validUntil excluded', async () => {
    const { keyId, multibase } = nextKey();
    await send(f.registry, 'registerIssuerKey', [DID, keyId, multibase, JAN_2026, JAN_2027]);
    const validAt = (t: bigint) => f.registry.getFunction('isIssuerKeyValidAt')(DID, keyId, t);
    expect(await validAt(JAN_2026 - 1n)).toBe(false);
    expect(await validAt(JAN_2026)).toBe(true);
    expect(await validAt(JAN_2027 - 1n)).toBe(true);
    expect(await validAt(JAN_2027)).toBe(false);
    expect(await f.registry.getFunction('isIssuerKeyValidAt')(DID, `${DID}#unknown`, JAN_2026)).toBe(false);
  });

  it('rotates a key: the old one expires at the rotation, the new one starts there, and IssuerKeyRotated is emitted', async () => {
    const old = nextKey();
    const next = nextKey();
    await send(f.registry, 'registerIssuerKey', [DID, old.keyId, old.multibase, JAN_2026, 0n]);
    const rotatedAt = JAN_2026 + 86_400n;
    const receipt = await send(f.registry, 'rotateIssuerKey', [DID, old.keyId, next.keyId, next.multibase, rotatedAt]);
    expect(events(receipt).map((event) => event.name)).toEqual(['IssuerKeyExpirySet', 'IssuerKeyRegistered', 'IssuerKeyRotated']);
    expect(events(receipt)[2]!.args.toArray()).toEqual([
      keccak256(toUtf8Bytes(DID)),
      keyRef(DID, old.keyId),
      keyRef(DID, next.keyId),
      rotatedAt,
    ]);
    expect(await f.registry.getFunction('isIssuerKeyValidAt')(DID, old.keyId, rotatedAt - 1n)).toBe(true);
    expect(await f.registry.getFunction('isIssuerKeyValidAt')(DID, old.keyId, rotatedAt)).toBe(false);
    expect(await f.registry.getFunction('isIssuerKeyValidAt')(DID, next.keyId, rotatedAt)).toBe(true);
  });

  it('sets an expiry and emits IssuerKeyExpirySet(keyRef, validUntil)', async () => {
    const { keyId, multibase } = nextKey();
    await send(f.registry, 'registerIssuerKey', [DID, keyId, multibase, JAN_2026, 0n]);
    const receipt = await send(f.registry, 'setIssuerKeyExpiry', [DID, keyId, JAN_2027]);
    expect(events(receipt).map((event) => [event.name, ...event.args.toArray()])).toEqual([
      ['IssuerKeyExpirySet', keyRef(DID, keyId), JAN_2027],
    ]);
  });

  it('revokes a key, which makes it invalid at every moment, and emits IssuerKeyRevoked(keyRef, revokedAt)', async () => {
    const { keyId, multibase } = nextKey();
    await send(f.registry, 'registerIssuerKey', [DID, keyId, multibase, JAN_2026, 0n]);
    const receipt = await send(f.registry, 'revokeIssuerKey', [DID, keyId]);
    const block = await f.chain.provider.getBlock(receipt.blockNumber);
    expect(events(receipt).map((event) => [event.name, ...event.args.toArray()])).toEqual([
      ['IssuerKeyRevoked', keyRef(DID, keyId), BigInt(block!.timestamp)],
    ]);
    expect(await f.registry.getFunction('isIssuerKeyValidAt')(DID, keyId, JAN_2026)).toBe(false);
    await expectRevert(f.registry.getFunction('revokeIssuerKey')(DID, keyId), 'IssuerKeyIsRevoked', [keyRef(DID, keyId)]);
    await expectRevert(f.registry.getFunction('setIssuerKeyExpiry')(DID, keyId, JAN_2027), 'IssuerKeyIsRevoked', [keyRef(DID, keyId)]);
  });

  it('reverts registering the same key twice with IssuerKeyAlreadyRegistered(keyRef)', async () => {
    const { keyId, multibase } = nextKey();
    await send(f.registry, 'registerIssuerKey', [DID, keyId, multibase, JAN_2026, 0n]);
    await expectRevert(f.registry.getFunction('registerIssuerKey')(DID, keyId, 'z6MkOther', JAN_2026, 0n), 'IssuerKeyAlreadyRegistered', [
      keyRef(DID, keyId),
    ]);
  });

  it('reverts a validity that ends before it starts with InvalidKeyValidity(validFrom, validUntil)', async () => {
    const { keyId, multibase } = nextKey();
    await expectRevert(f.registry.getFunction('registerIssuerKey')(DID, keyId, multibase, JAN_2027, JAN_2026), 'InvalidKeyValidity', [
      JAN_2027,
      JAN_2026,
    ]);
  });

  it('reverts empty fields with EmptyIssuerKeyField', async () => {
    await expectRevert(f.registry.getFunction('registerIssuerKey')(DID, '', 'z6Mk', JAN_2026, 0n), 'EmptyIssuerKeyField');
  });

  it('reverts changes to unknown keys with IssuerKeyNotRegistered(keyRef)', async () => {
    const keyId = `${DID}#missing`;
    await expectRevert(f.registry.getFunction('setIssuerKeyExpiry')(DID, keyId, JAN_2027), 'IssuerKeyNotRegistered', [keyRef(DID, keyId)]);
    await expectRevert(f.registry.getFunction('revokeIssuerKey')(DID, keyId), 'IssuerKeyNotRegistered', [keyRef(DID, keyId)]);
  });

  it('lets only the issuer admin manage keys', async () => {
    const { keyId, multibase } = nextKey();
    await expectRevert(
      f.as(f.stranger).getFunction('registerIssuerKey')(DID, keyId, multibase, JAN_2026, 0n),
      'AccessControlUnauthorizedAccount',
      [f.strangerAddress, ISSUER_ADMIN_ROLE],
    );
  });
});
