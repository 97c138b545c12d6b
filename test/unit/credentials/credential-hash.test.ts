import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { credentialHash } from '../../../src/credentials/credential-hash.ts';

const vector = JSON.parse(fs.readFileSync(new URL('../../vectors/credentials/credential-hash-signed-credential.json', import.meta.url), 'utf8'));

describe('the credential hash', () => {
  it('matches the independently computed vector for a signed credential', () => {
    expect(credentialHash(vector.credential)).toBe(vector.jcsSha256);
  });

  it('ignores key order and whitespace', () => {
    const reordered = Object.fromEntries(Object.entries(vector.credential).reverse());
    expect(credentialHash(JSON.parse(JSON.stringify(reordered, null, 4)))).toBe(vector.jcsSha256);
  });

  it('changes when the proof value changes', () => {
    const other = structuredClone(vector.credential);
    other.proof[0].proofValue = other.proof[0].proofValue.replace(/.$/, 'x');
    expect(credentialHash(other)).not.toBe(vector.jcsSha256);
  });

  it('is 0x followed by 64 lowercase hex digits', () => {
    expect(credentialHash({ a: 1 })).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it('rejects non-objects as programmer misuse', () => {
    expect(() => credentialHash([] as unknown as object)).toThrow(TypeError);
  });
});
