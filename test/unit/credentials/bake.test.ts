import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bakePng, bakeSvg, readCredentialFile, unbakePng, unbakeSvg } from '../../../src/credentials/bake.ts';
import { generateBadgePng, generateBadgeSvg } from '../../../src/credentials/badge-image.ts';
import { readChunks } from '../../../src/credentials/png.ts';
import { CredentialError } from '../../../src/credentials/errors.ts';

const credential = JSON.parse(fs.readFileSync(new URL('../../vectors/credentials/credential-hash-signed-credential.json', import.meta.url), 'utf8')).credential;

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof CredentialError ? error.code : 'other';
  }
  return undefined;
}

describe('baking credentials into badge images', () => {
  it('round-trips a credential through a PNG with one uncompressed openbadgecredential iTXt chunk', () => {
    const png = bakePng({ png: generateBadgePng({ achievementName: 'Python Basics' }), credential });
    const chunks = readChunks(png).filter((c) => c.type === 'iTXt');
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.data.subarray(0, 20).toString('latin1')).toBe('openbadgecredential\0');
    expect(chunks[0]!.data[20]).toBe(0);
    expect(unbakePng(png)).toEqual(credential);
    expect(readCredentialFile(png)).toEqual(credential);
  });

  it('replaces a credential already baked into the PNG instead of adding a second', () => {
    const once = bakePng({ png: generateBadgePng({ achievementName: 'A' }), credential: { old: true } });
    const twice = bakePng({ png: once, credential });
    expect(readChunks(twice).filter((c) => c.type === 'iTXt')).toHaveLength(1);
    expect(unbakePng(twice)).toEqual(credential);
  });

  it('round-trips a credential through an SVG with the openbadges namespace and a CDATA element', () => {
    const svg = bakeSvg({ svg: generateBadgeSvg({ achievementName: 'Python & <Basics>', issuerName: 'Uni' }), credential });
    expect(svg).toMatch(/^<svg xmlns:openbadges="https:\/\/purl\.imsglobal\.org\/ob\/v3p0"/);
    expect(svg).toMatch(/<openbadges:credential><!\[CDATA\[/);
    expect(unbakeSvg(svg)).toEqual(credential);
    expect(readCredentialFile(Buffer.from(svg))).toEqual(credential);
  });

  it('keeps a credential containing "]]>" intact in SVG CDATA', () => {
    const tricky = { ...credential, name: 'ends ]]> here' };
    expect(unbakeSvg(bakeSvg({ svg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>', credential: tricky }))).toEqual(tricky);
  });

  it('rejects a PNG without the chunk with a named error', () => {
    expect(codeOf(() => unbakePng(generateBadgePng({ achievementName: 'A' })))).toBe('invalid_baked_image');
  });

  it('rejects a damaged PNG', () => {
    const png = bakePng({ png: generateBadgePng({ achievementName: 'A' }), credential });
    png[40] = png[40]! ^ 0xff;
    expect(codeOf(() => unbakePng(png))).toBe('invalid_baked_image');
  });

  it('refuses an SVG with an external entity (no XXE)', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential>&xxe;</openbadges:credential></svg>`;
    expect(codeOf(() => unbakeSvg(xxe))).toBe('invalid_baked_image');
  });

  it('rejects an SVG without a baked credential', () => {
    expect(codeOf(() => unbakeSvg('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe('invalid_baked_image');
  });

  it('rejects malformed JSON files with invalid_credential', () => {
    expect(codeOf(() => readCredentialFile(Buffer.from('{"a":')))).toBe('invalid_credential');
  });
});
