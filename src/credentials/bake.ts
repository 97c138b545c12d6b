/**
 * Baking: the signed credential embedded in the badge image
 * (https://www.imsglobal.org/spec/ob/v3p0/#baking). PNG: one `iTXt` chunk, keyword
 * `openbadgecredential`, uncompressed, text = the credential JSON. SVG:
 * `xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"` on `<svg>` and, right after it,
 * one `<openbadges:credential>` with the JSON in CDATA.
 */
import { CredentialError } from './errors.ts';
import { readChunks, writeChunks } from './png.ts';

export const PNG_KEYWORD = 'openbadgecredential';
export const SVG_NAMESPACE = 'https://purl.imsglobal.org/ob/v3p0';

function iTxtChunk(text: string): Buffer {
  // keyword \0, compression flag 0, method 0, language tag "" \0, translated keyword "" \0, text
  return Buffer.concat([Buffer.from(PNG_KEYWORD, 'latin1'), Buffer.from([0, 0, 0, 0, 0]), Buffer.from(text, 'utf8')]);
}

/**
 * Bakes `credential` into a PNG, replacing any credential already baked in it.
 *
 * @throws CredentialError `invalid_baked_image` when `png` is not a PNG.
 */
export function bakePng(params: { png: Buffer; credential: object }): Buffer {
  let chunks;
  try {
    chunks = readChunks(params.png);
  } catch (cause) {
    throw new CredentialError('invalid_baked_image', `Cannot bake: ${(cause as Error).message}`, undefined, { cause });
  }
  const kept = chunks.filter((chunk) => !(chunk.type === 'iTXt' && keywordOf(chunk.data) === PNG_KEYWORD));
  const baked = { type: 'iTXt', data: iTxtChunk(JSON.stringify(params.credential)) };
  // Right after IHDR: readers that stop early still find it.
  return writeChunks([kept[0]!, baked, ...kept.slice(1)]);
}

function keywordOf(data: Buffer): string {
  const end = data.indexOf(0);
  return data.subarray(0, end < 0 ? 0 : end).toString('latin1');
}

/**
 * The credential JSON baked into a PNG.
 *
 * @throws CredentialError `invalid_baked_image` when the file is not a PNG, has no
 *   `openbadgecredential` iTXt chunk, uses compression, or its text is not JSON.
 */
export function unbakePng(png: Buffer): unknown {
  let chunks;
  try {
    chunks = readChunks(png);
  } catch (cause) {
    throw new CredentialError('invalid_baked_image', `Not a readable PNG: ${(cause as Error).message}`, undefined, { cause });
  }
  const chunk = chunks.find((c) => c.type === 'iTXt' && keywordOf(c.data) === PNG_KEYWORD);
  if (!chunk) throw new CredentialError('invalid_baked_image', 'The PNG has no baked credential (no openbadgecredential iTXt chunk)');
  let offset = PNG_KEYWORD.length + 1;
  const compressed = chunk.data[offset];
  if (compressed !== 0) throw new CredentialError('invalid_baked_image', 'The baked credential must not be compressed');
  offset += 2;
  const languageEnd = chunk.data.indexOf(0, offset);
  const translatedEnd = languageEnd < 0 ? -1 : chunk.data.indexOf(0, languageEnd + 1);
  if (translatedEnd < 0) throw new CredentialError('invalid_baked_image', 'Malformed iTXt chunk');
  return parseBakedJson(chunk.data.subarray(translatedEnd + 1).toString('utf8'));
}

function parseBakedJson(text: string): unknown {
  try {
    return JSON.parse(text.trim());
  } catch (cause) {
    throw new CredentialError('invalid_baked_image', 'The baked credential is not valid JSON', undefined, { cause });
  }
}

/**
 * Bakes `credential` into an SVG document.
 *
 * @throws CredentialError `invalid_baked_image` when `svg` has no `<svg>` element.
 */
export function bakeSvg(params: { svg: string; credential: object }): string {
  const svg = params.svg.replace(/<openbadges:credential\b[\s\S]*?<\/openbadges:credential>\s*/g, '');
  const open = /<svg\b[^>]*>/.exec(svg);
  if (!open) throw new CredentialError('invalid_baked_image', 'Cannot bake: no <svg> element');
  let tag = open[0];
  if (!/xmlns:openbadges=/.test(tag)) tag = tag.replace(/^<svg\b/, `<svg xmlns:openbadges="${SVG_NAMESPACE}"`);
  // "]]>" cannot appear inside CDATA; JSON can escape it as "]]\u003e" with the same meaning.
  const json = JSON.stringify(params.credential).replaceAll(']]>', ']]\\u003e');
  const element = `\n<openbadges:credential><![CDATA[${json}]]></openbadges:credential>`;
  return svg.slice(0, open.index) + tag + element + svg.slice(open.index + open[0].length);
}

/**
 * The credential JSON baked into an SVG. The SVG is scanned as text, never handed to
 * an XML parser, and any DOCTYPE or entity declaration is refused: no XXE, no entity
 * expansion.
 *
 * @throws CredentialError `invalid_baked_image` for DTDs/entities, a missing element or non-JSON content.
 */
export function unbakeSvg(svg: string): unknown {
  if (/<!DOCTYPE|<!ENTITY/i.test(svg)) {
    throw new CredentialError('invalid_baked_image', 'SVG files with a DOCTYPE or entity declarations are refused');
  }
  const match = /<openbadges:credential\b[^>]*>([\s\S]*?)<\/openbadges:credential>/.exec(svg);
  if (!match) {
    const verifyAttribute = /<openbadges:credential\b[^>]*\/>/.test(svg);
    throw new CredentialError(
      'invalid_baked_image',
      verifyAttribute ? 'The SVG references a hosted credential instead of embedding it' : 'The SVG has no baked credential',
    );
  }
  const body = match[1]!.trim();
  const cdata = /^<!\[CDATA\[([\s\S]*)\]\]>$/.exec(body);
  const text = cdata ? cdata[1]! : body.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  return parseBakedJson(text);
}

/** What a file holds, by its first bytes. */
export type CredentialFileKind = 'json' | 'png' | 'svg';

/** Sniffs the PNG signature or a leading `<`; anything else is treated as JSON. */
export function detectFileKind(bytes: Buffer): CredentialFileKind {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  const head = bytes.subarray(0, 2048).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('<')) return 'svg';
  return 'json';
}

/**
 * A credential from whatever file the user has: JSON, baked PNG, or baked SVG.
 *
 * @throws CredentialError `invalid_credential` (not JSON) or `invalid_baked_image`.
 */
export function readCredentialFile(bytes: Buffer): unknown {
  const kind = detectFileKind(bytes);
  if (kind === 'png') return unbakePng(bytes);
  if (kind === 'svg') return unbakeSvg(bytes.toString('utf8'));
  try {
    return JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (cause) {
    throw new CredentialError('invalid_credential', 'The file is not JSON, a baked PNG or a baked SVG', undefined, { cause });
  }
}
