/**
 * The verifier page runs Sello's verification code with browser stand-ins for
 * node:crypto (src/verifier/browser/node-crypto.ts): they must answer exactly as node
 * does for what that code asks, or the page and `sello verify` could disagree.
 */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as standIn from '../../../src/verifier/browser/node-crypto.ts';

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function ed25519Pair() {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length);
  return { privateKey, der: Buffer.concat([SPKI_ED25519_PREFIX, raw]) };
}

describe("the verifier page's node:crypto stand-in", () => {
  it('hashes text to the same SHA-256 hex as node, for ASCII, accents and emoji', () => {
    for (const text of ['', '{"a":1}', 'Introducción a la química', '🎓 graduada', 'x'.repeat(100_000)]) {
      expect(standIn.createHash('sha256').update(text, 'utf8').digest('hex')).toBe(crypto.createHash('sha256').update(text, 'utf8').digest('hex'));
    }
  });

  it('accepts exactly the Ed25519 signatures node accepts: good, tampered data, another key, truncated', () => {
    const signer = ed25519Pair();
    const other = ed25519Pair();
    const data = Buffer.from('canonical N-Quads of a credential and its proof options');
    const signature = crypto.sign(null, data, signer.privateKey);
    const cases: Array<[Buffer, Buffer, Buffer]> = [
      [signer.der, data, signature],
      [signer.der, Buffer.concat([data, Buffer.from(' ')]), signature],
      [other.der, data, signature],
      [signer.der, data, signature.subarray(0, 63)],
      [signer.der, data, Buffer.alloc(64)],
    ];
    const answers = cases.map(([der, message, sig]) => {
      const node = (() => {
        try {
          return crypto.verify(null, message, crypto.createPublicKey({ key: der, format: 'der', type: 'spki' }), sig);
        } catch {
          return false;
        }
      })();
      const page = standIn.verify(null, message, standIn.createPublicKey({ key: der, format: 'der', type: 'spki' }), sig);
      return [node, page];
    });
    expect(answers).toEqual([
      [true, true],
      [false, false],
      [false, false],
      [false, false],
      [false, false],
    ]);
  });

  it('refuses what the page never needs (signing, other hashes, other key types) by name', () => {
    expect(() => standIn.createPrivateKey()).toThrowError(/createPrivateKey is not available in the verifier page/);
    expect(() => standIn.sign()).toThrowError(/sign is not available/);
    expect(() => standIn.createHash('md5')).toThrowError(/createHash\(md5\)/);
    expect(() => standIn.createPublicKey({ key: Buffer.alloc(44), format: 'der', type: 'spki' })).toThrowError(/only Ed25519/);
  });
});
