import { describe, expect, it } from 'vitest';
import { encodeStatusList, readStatusBit, STATUS_LIST_LENGTH } from '../../../src/credentials/status-list.ts';
import { crc32, encodeRgbaPng, readChunks } from '../../../src/credentials/png.ts';
import { generateBadgeSvg } from '../../../src/credentials/badge-image.ts';

describe('bitstring status lists', () => {
  it('encodes 131,072 entries compressed and reads back exactly the bits set', async () => {
    const encoded = await encodeStatusList({ setIndexes: [0, 7, 131_071] });
    expect(encoded.startsWith('u')).toBe(true);
    expect(encoded.length).toBeLessThan(1000);
    for (const [index, set] of [[0, true], [1, false], [7, true], [8, false], [131_071, true]] as const) {
      expect(await readStatusBit({ encodedList: encoded, index })).toBe(set);
    }
    expect(STATUS_LIST_LENGTH).toBe(131_072);
  });

  it('refuses an index outside the list', async () => {
    const encoded = await encodeStatusList({ setIndexes: [] });
    await expect(readStatusBit({ encodedList: encoded, index: 131_072 })).rejects.toThrow(/outside/);
    await expect(readStatusBit({ encodedList: 'not-encoded', index: 1 })).rejects.toThrow();
  });
});

describe('the PNG encoder', () => {
  it('computes the standard CRC-32 check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('writes a well-formed RGBA PNG', () => {
    const png = encodeRgbaPng({ width: 2, height: 1, rgba: new Uint8Array([255, 0, 0, 255, 0, 0, 255, 128]) });
    const chunks = readChunks(png);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(chunks[0]!.data.readUInt32BE(0)).toBe(2);
    expect(chunks[0]!.data[9]).toBe(6);
  });
});

describe('the generated SVG badge', () => {
  it('escapes names so they cannot inject markup', () => {
    const svg = generateBadgeSvg({ achievementName: '<script>alert(1)</script>', issuerName: 'A & B' });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('A &amp; B');
  });
});
