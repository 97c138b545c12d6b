import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { generateBadgePng, generateBadgeSvg, renderBadgePng } from '../../../src/credentials/badge-image.ts';

/** pngjs (qrcode's own PNG codec) ships no types: only its synchronous reader is used here. */
const { PNG } = createRequire(import.meta.url)('pngjs') as { PNG: { sync: { read(png: Buffer): { width: number; height: number; data: Buffer } } } };

/** Counts near-black pixels in a horizontal band: the achievement's name is drawn in dark ink. */
function darkPixels(png: Buffer, fromY: number, toY: number): number {
  const image = PNG.sync.read(png);
  let dark = 0;
  for (let y = fromY; y < toY; y += 1) {
    for (let x = 0; x < image.width; x += 1) {
      const i = (y * image.width + x) * 4;
      if (image.data[i + 3]! > 200 && image.data[i]! < 80 && image.data[i + 1]! < 80 && image.data[i + 2]! < 80) dark += 1;
    }
  }
  return dark;
}

describe('the baked badge PNG', () => {
  it('is 600×600 with the badge image and the achievement name written beneath it', () => {
    const image = `data:image/png;base64,${generateBadgePng({ achievementName: 'x' }).toString('base64')}`;
    const png = renderBadgePng({ achievementName: 'Python Basics', issuerName: 'Uni', image });
    const decoded = PNG.sync.read(png);
    expect([decoded.width, decoded.height]).toEqual([600, 600]);
    expect(darkPixels(png, 490, 580)).toBeGreaterThan(500);
    const other = renderBadgePng({ achievementName: 'Data Science', issuerName: 'Uni', image });
    expect(other.equals(png)).toBe(false);
  });

  it("draws Sello's medal with the name at 600×600 when the achievement has no image", () => {
    const png = renderBadgePng({ achievementName: 'Python Basics', issuerName: 'Uni', image: null });
    const decoded = PNG.sync.read(png);
    expect([decoded.width, decoded.height]).toEqual([600, 600]);
    const plain = renderBadgePng({ achievementName: 'Python Basics!', issuerName: 'Uni', image: null });
    expect(plain.equals(png)).toBe(false);
  });

  it('rasterises an inline SVG image, and does not write the name twice when the SVG already shows it', () => {
    const svg = generateBadgeSvg({ achievementName: 'Python Basics', issuerName: 'Uni' });
    const png = renderBadgePng({ achievementName: 'Python Basics', issuerName: 'Uni', image: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` });
    expect(PNG.sync.read(png).width).toBe(600);
    expect(png.equals(renderBadgePng({ achievementName: 'Python Basics', issuerName: 'Uni', image: null }))).toBe(true);
  });
});
