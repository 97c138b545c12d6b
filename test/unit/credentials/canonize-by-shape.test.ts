/**
 * The canonicalization Sello signs and verifies with (`src/credentials/canonize-by-shape.ts`)
 * must give the bytes the library gives, for every document: these tests compare it with
 * the published library's outputs (test/vectors/jsonld/reference.json) and with the
 * library itself on documents of the credential's shape with generated values, including
 * values that jsonld reads (terms, compact IRIs, blank node ids, relative IRIs, keywords).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { corpus } from '../../vectors/jsonld/corpus.ts';
import reference from '../../vectors/jsonld/reference.json' with { type: 'json' };
import { createDocumentLoader } from '../../../src/credentials/document-loader.ts';
import { CONTEXTS } from '../../../src/credentials/contexts.ts';
import {
  canonizeByShape,
  canonizeByShapeStatistics,
  forgetShapes,
  MAX_HELD_CHARS,
  MAX_SHAPES,
  type Canonize,
} from '../../../src/credentials/canonize-by-shape.ts';

type Json = Record<string, unknown>;

const library = (cryptosuite as { canonize: Canonize }).canonize;
const canonize = canonizeByShape(library);
const documentLoader = createDocumentLoader();
const options = () => ({ documentLoader, base: null, safe: true });
const references = reference as Record<string, { nquads?: unknown }>;

/** The corpus entries of Sello's own shapes (bundled contexts only). */
const sello = corpus.filter((entry) => ['ob3 credential', 'ob3 credential with proof', 'proof options'].includes(entry.name));

async function outcome(run: () => Promise<string>): Promise<string> {
  try {
    return await run();
  } catch (error) {
    const details = (error as { details?: { event?: { code?: string }; code?: string } }).details;
    return `error: ${details?.event?.code ?? details?.code ?? (error as Error).message}`;
  }
}

function json(document: Json): Json {
  return JSON.parse(JSON.stringify(document)) as Json;
}

/** Paths of every string value outside `@context`. */
function stringPaths(value: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof value === 'string') return [path];
  if (Array.isArray(value)) return value.flatMap((item, index) => stringPaths(item, [...path, index]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, inner]) => (key === '@context' ? [] : stringPaths(inner, [...path, key])));
  }
  return [];
}

function withValue(document: Json, path: Array<string | number>, value: string): void {
  let target = document as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) target = target[step] as Record<string | number, unknown>;
  target[path.at(-1)!] = value;
}

// Values jsonld reads differently from plain text or an absolute IRI, and plain ones that repeat.
const tricky = [
  'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
  'https://uni.example/achievements/python-basics',
  'https://uni.example/x',
  'urn:uuid:00000000-0000-4000-8000-000000000001',
  'mailto:someone@uni.example',
  'https:no-slashes',
  'eip155:31337:0x5FbDB2315678afecb367f032d93F642f64180aa3',
  '_:b0',
  '_:c14n1',
  '@id',
  '@nonsense',
  'xsd:string',
  'schema:Thing',
  'Badge',
  'id',
  'type',
  'Profile',
  'Achievement',
  'https://purl.imsglobal.org/spec/vc/ob/vocab.html#Profile',
  'http://www.w3.org/1999/02/22-rdf-syntax-ns#type',
  'relative/path',
  'https://has a space',
  '',
  ' ',
  '"quoted" \\ back\nslash\ttab',
  '\u2028\u0000\u{1F600}',
  '2026-01-15T10:00:00Z',
  'Python Basics',
];

describe('canonicalization by shape', () => {
  beforeEach(() => forgetShapes());

  it.each(sello.map((entry) => [entry.name, entry] as const))('gives the published library\'s bytes for %s, learning and then from its template', async (name, entry) => {
    const expected = references[name]!.nquads;
    expect(await canonize(json(entry.document), options())).toBe(expected);
    expect(await canonize(json(entry.document), options())).toBe(expected);
    expect(canonizeByShapeStatistics()).toMatchObject({ learnt: 1, hits: 1, refused: 0 });
  });

  it('gives the library\'s bytes for documents of a learnt shape with other values', async () => {
    const credential = json(sello[0]!.document);
    await canonize(json(credential), options());
    for (let i = 0; i < 5; i += 1) {
      const other = json(credential);
      withValue(other, ['id'], `urn:uuid:00000000-0000-4000-8000-00000000000${i}`);
      withValue(other, ['credentialSubject', 'identifier', 0, 'identityHash'], `sha256$${i} "quoted"\n`);
      withValue(other, ['issuer', 'name'], `Universidad ${i}`);
      expect(await canonize(json(other), options())).toBe(await library(json(other), options()));
    }
    expect(canonizeByShapeStatistics()).toMatchObject({ learnt: 1, hits: 5 });
  });

  it('gives the library\'s bytes, or its error, for any values in the credential\'s and the proof\'s shapes', async () => {
    for (const entry of sello) {
      const paths = stringPaths(entry.document);
      const value = fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...tricky) },
        { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
        { weight: 1, arbitrary: fc.webUrl() },
      );
      // A few values changed per document, and the document of the shape learnt first
      // (the property's runs share the templates, as signing and verifying do).
      const changes = fc.array(fc.tuple(fc.nat({ max: paths.length - 1 }), value), { maxLength: 4 });
      await fc.assert(
        fc.asyncProperty(changes, async (changed) => {
          const document = json(entry.document);
          for (const [index, replacement] of changed) withValue(document, paths[index]!, replacement);
          const ours = await outcome(() => canonize(json(document), options()));
          expect(ours).toBe(await outcome(() => library(json(document), options())));
          // A second time, from the template if one was learnt.
          expect(await outcome(() => canonize(json(document), options()))).toBe(ours);
        }),
        { numRuns: 200 },
      );
    }
    // The property covered the template path, not only the library's.
    // The property covered the template path, not only the library's.
    expect(canonizeByShapeStatistics().hits).toBeGreaterThan(100);
  });

  it('never uses a template with a loader that serves other documents for the bundled context URLs', async () => {
    const entry = sello[0]!;
    await canonize(json(entry.document), options());
    const copies = new Map([...CONTEXTS].map(([url, context]) => [url, structuredClone(context)]));
    const otherLoader = async (url: string) => ({ contextUrl: null, documentUrl: url, document: copies.get(url), tag: 'static' });
    const before = canonizeByShapeStatistics().hits;
    expect(await canonize(json(entry.document), { documentLoader: otherLoader, base: null, safe: true })).toBe(references[entry.name]!.nquads);
    expect(canonizeByShapeStatistics().hits).toBe(before);
  });

  it('hands documents with other options or inline contexts to the library', async () => {
    const entry = sello[0]!;
    await canonize(json(entry.document), options());
    const hits = canonizeByShapeStatistics().hits;
    await canonize(json(entry.document), { ...options(), base: 'https://uni.example/' });
    await canonize(json(entry.document), { ...options(), safe: false });
    const inline = json(entry.document);
    (inline.credentialSubject as Json)['@context'] = { extra: 'https://uni.example/extra' };
    expect(await outcome(() => canonize(json(inline), options()))).toBe(await outcome(() => library(json(inline), options())));
    expect(canonizeByShapeStatistics().hits).toBe(hits);
  });

  it(`remembers at most ${MAX_SHAPES} shapes`, async () => {
    const credential = json(sello[2]!.document);
    for (let i = 0; i < MAX_SHAPES + 10; i += 1) {
      // Each length of the list is a shape of its own.
      const document: Json = { ...json(credential), extra: Array.from({ length: i + 1 }, (_, n) => `value ${n}`) };
      await outcome(() => canonize(document, options()));
    }
    expect(canonizeByShapeStatistics().shapes).toBeLessThanOrEqual(MAX_SHAPES);
  });

  // A verifier learns the shapes of what anyone sends it: 128 shapes of large credentials
  // held some 500 MB in every verification worker.
  it(`holds at most ${MAX_HELD_CHARS} characters of shapes, however large the documents it is given`, async () => {
    const credential = json(sello[0]!.document);
    const evidence = (count: number) =>
      Array.from({ length: count }, (_, n) => ({ id: `https://uni.example/evidence/${n}`, type: ['Evidence'], name: `Work ${n}`, narrative: `Done ${n}` }));
    // Each number of evidence items is a shape of its own.
    for (let i = 0; i < 16; i += 1) await canonize({ ...json(credential), evidence: evidence(600 + i) }, options());
    const { shapes, heldChars, learnt } = canonizeByShapeStatistics();
    expect(learnt).toBe(16);
    expect(shapes).toBeLessThan(16);
    expect(heldChars).toBeLessThanOrEqual(MAX_HELD_CHARS);
    // One at the verification limits (10,000 JSON values) is not learnt at all.
    await canonize({ ...json(credential), evidence: evidence(2000) }, options());
    expect(canonizeByShapeStatistics()).toMatchObject({ learnt: 16, shapes });
  });
});
