/**
 * Just enough PNG (https://www.w3.org/TR/png-3/) for badges: walk and insert chunks,
 * and encode a small RGBA image. CRC-32 per PNG §5.5, zlib from node.
 */
import zlib from 'node:zlib';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const crcTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309, as PNG §5.5 uses it) of `data`. */
export function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export interface PngChunk {
  type: string;
  data: Buffer;
}

/** A chunk's bytes: length, type, data, CRC of type+data. */
export function encodeChunk(chunk: PngChunk): Buffer {
  const type = Buffer.from(chunk.type, 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(chunk.data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, chunk.data])));
  return Buffer.concat([length, type, chunk.data, crc]);
}

/**
 * The chunks of a PNG, in order.
 *
 * @throws Error when the bytes are not a well-formed PNG (signature, lengths, CRCs).
 */
export function readChunks(png: Buffer): PngChunk[] {
  if (png.length < 8 || !png.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('Not a PNG file (bad signature)');
  const chunks: PngChunk[] = [];
  let offset = 8;
  while (offset < png.length) {
    if (offset + 12 > png.length) throw new Error('Truncated PNG chunk');
    const length = png.readUInt32BE(offset);
    const end = offset + 12 + length;
    if (end > png.length) throw new Error('Truncated PNG chunk');
    const type = png.subarray(offset + 4, offset + 8).toString('latin1');
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (crc32(png.subarray(offset + 4, offset + 8 + length)) !== png.readUInt32BE(offset + 8 + length)) {
      throw new Error(`Bad CRC in PNG chunk ${type}`);
    }
    chunks.push({ type, data: Buffer.from(data) });
    offset = end;
    if (type === 'IEND') break;
  }
  if (chunks[0]?.type !== 'IHDR' || chunks.at(-1)?.type !== 'IEND') throw new Error('PNG must start with IHDR and end with IEND');
  return chunks;
}

/** Signature + chunks: the inverse of `readChunks`. */
export function writeChunks(chunks: PngChunk[]): Buffer {
  return Buffer.concat([PNG_SIGNATURE, ...chunks.map(encodeChunk)]);
}

/** Encodes 8-bit RGBA pixels (`width * height * 4` bytes) as a PNG. */
export function encodeRgbaPng(params: { width: number; height: number; rgba: Uint8Array }): Buffer {
  const { width, height, rgba } = params;
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(6, 9); // colour type RGBA
  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y += 1) {
    raw[y * (stride + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * stride, stride).copy(raw, y * (stride + 1) + 1);
  }
  return writeChunks([
    { type: 'IHDR', data: header },
    { type: 'IDAT', data: zlib.deflateSync(raw) },
    { type: 'IEND', data: Buffer.alloc(0) },
  ]);
}
