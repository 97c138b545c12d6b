/**
 * Documents that exercise every path where jsonld reuses an active context: type-scoped
 * contexts (nested, repeated across siblings, reverted for value objects and node
 * references, `@propagate: true`), property-scoped contexts (including the empty one of
 * jsonld.js#394), `@type` containers, protected terms, and Sello's own OB 3.0
 * credential, proof options and presentation. `reference.json` holds what unpatched
 * jsonld 9.0.0 produced for each of them (see `generate.ts`), so the test can show the
 * patched library produces the same bytes.
 */
import { OB_V3_CONTEXT, OB_V3_EXTENSIONS_CONTEXT, VC_V2_CONTEXT } from '../../../src/credentials/contexts.ts';

type Json = Record<string, unknown>;

const ex = 'https://example.org/vocab#';

/** A type-scoped context per type, the nested one defining a term the outer one also has. */
const typedContext = {
  '@version': 1.1,
  '@vocab': ex,
  id: '@id',
  type: '@type',
  Course: {
    '@id': `${ex}Course`,
    '@context': {
      module: { '@id': `${ex}module`, '@type': '@id' },
      title: { '@id': `${ex}courseTitle`, '@language': 'es' },
      lesson: `${ex}lesson`,
    },
  },
  Lesson: {
    '@id': `${ex}Lesson`,
    '@context': { title: { '@id': `${ex}lessonTitle` }, weight: { '@id': `${ex}weight`, '@type': 'http://www.w3.org/2001/XMLSchema#decimal' } },
  },
  Propagating: { '@id': `${ex}Propagating`, '@context': { '@propagate': true, note: `${ex}propagatedNote` } },
  title: `${ex}title`,
};

function lessons(count: number): Json[] {
  return Array.from({ length: count }, (_, i) => ({
    type: i % 3 === 0 ? 'Lesson' : 'Course',
    title: `item ${i}`,
    // A value object and a node reference: the type-scoped context is not reverted for them.
    lesson: i % 2 === 0 ? { '@value': `value ${i}` } : { id: `https://example.org/lessons/${i}` },
    ...(i % 5 === 0 ? { weight: '0.5' } : {}),
    ...(i % 4 === 0 ? { nested: { type: 'Lesson', title: `nested ${i}`, deeper: { title: `deeper ${i}` } } } : {}),
  }));
}

const credential: Json = {
  '@context': [VC_V2_CONTEXT, OB_V3_CONTEXT, OB_V3_EXTENSIONS_CONTEXT],
  id: 'urn:uuid:2f1a7b3c-4d5e-4f60-8a71-92b3c4d5e6f7',
  type: ['VerifiableCredential', 'OpenBadgeCredential'],
  name: 'Python Basics',
  issuer: {
    id: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
    type: ['Profile'],
    name: 'Universidad de Ejemplo',
    url: 'https://uni.example',
    email: 'badges@uni.example',
    otherIdentifier: [{ type: 'IdentifierEntry', identifier: 'eip155:31337:0x5FbDB2315678afecb367f032d93F642f64180aa3', identifierType: 'ext:SelloAnchorContract' }],
  },
  validFrom: '2026-01-15T10:00:00Z',
  validUntil: '2031-01-15T10:00:00Z',
  credentialSubject: {
    type: ['AchievementSubject'],
    identifier: [{ type: 'IdentityObject', identityHash: 'sha256$0e6f2b2d1b3f8c8f9a0e', identityType: 'emailAddress', hashed: true, salt: 'salt' }],
    achievement: {
      id: 'https://uni.example/achievements/python-basics',
      type: ['Achievement'],
      name: 'Python Basics',
      description: 'Completed the Python basics module.',
      criteria: { narrative: 'Score 80% or more in every quiz.' },
      image: { id: 'https://uni.example/badges/python.png', type: 'Image' },
      achievementType: 'Badge',
      alignment: [{ type: ['Alignment'], targetName: 'Programming', targetUrl: 'https://uni.example/competencies/programming', targetType: 'ext:Skill' }],
      tag: ['python', 'programming'],
      inLanguage: 'es',
    },
  },
  evidence: [{ type: ['Evidence'], name: 'Final quiz', narrative: 'Scored 92/100' }],
  credentialStatus: {
    id: 'https://uni.example/status/list-revocation#4242',
    type: 'BitstringStatusListEntry',
    statusPurpose: 'revocation',
    statusListIndex: '4242',
    statusListCredential: 'https://uni.example/status/list-revocation',
  },
  credentialSchema: [{ id: 'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json', type: '1EdTechJsonSchemaValidator2019' }],
};

const proof: Json = {
  type: 'DataIntegrityProof',
  cryptosuite: 'eddsa-rdfc-2022',
  created: '2026-01-15T10:00:00Z',
  verificationMethod: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
  proofPurpose: 'assertionMethod',
  proofValue: 'z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk9czhSePTFehP8c3PGfb6a22gkfUKods5D2UAUL5n2Brbx',
};

export interface CorpusEntry {
  /** The scenario the document covers. */
  name: string;
  document: Json;
  /** Operations compared: canonical N-Quads always; expansion and compaction when set. */
  expand?: boolean;
  compactWith?: Json;
}

export const corpus: CorpusEntry[] = [
  { name: 'ob3 credential', document: credential, expand: true },
  { name: 'ob3 credential with proof', document: { ...credential, proof: [proof] } },
  {
    name: 'proof options',
    document: { '@context': credential['@context'], ...proof, proofValue: undefined },
  },
  {
    name: 'presentation of two credentials',
    document: {
      '@context': [VC_V2_CONTEXT, OB_V3_CONTEXT],
      type: ['VerifiablePresentation'],
      holder: 'did:example:holder',
      verifiableCredential: [
        { ...credential, proof: [proof] },
        { ...credential, id: 'urn:uuid:00000000-0000-4000-8000-000000000002', name: 'Second', proof: [proof] },
      ],
    },
  },
  {
    name: 'type-scoped contexts, nested and repeated across siblings',
    document: { '@context': typedContext, id: 'https://example.org/catalog', title: 'catalog', items: lessons(40) },
    expand: true,
    compactWith: { '@context': typedContext },
  },
  {
    name: 'propagating type-scoped context',
    document: {
      '@context': typedContext,
      type: 'Propagating',
      note: 'top',
      child: { note: 'child', grandchild: { type: 'Course', note: 'grandchild', title: 'curso' } },
    },
    expand: true,
  },
  {
    name: 'empty property-scoped context (jsonld.js#394)',
    document: {
      '@context': { thing: { '@id': 'https://example.org/thing', '@context': {} }, title: 'https://example.org/title' },
      title: 'top',
      thing: { title: 'sub', thing: { title: 'subsub' } },
    },
    expand: true,
    compactWith: { '@context': { thing: { '@id': 'https://example.org/thing', '@context': {} }, title: 'https://example.org/title' } },
  },
  {
    name: 'empty property-scoped context with an index container (jsonld.js#394)',
    document: {
      'https://www.w3.org/2019/wot/td#hasPropertyAffordance': [{ 'http://purl.org/dc/terms/title': 'Switch' }],
      'http://purl.org/dc/terms/title': '46203',
    },
    compactWith: {
      '@context': {
        td: 'https://www.w3.org/2019/wot/td#',
        dct: 'http://purl.org/dc/terms/',
        properties: { '@id': 'td:hasPropertyAffordance', '@type': '@id', '@container': '@index', '@context': {} },
        title: 'dct:title',
      },
    },
  },
  {
    name: 'type container with type-scoped contexts',
    document: {
      '@context': { ...typedContext, byType: { '@id': `${ex}byType`, '@container': '@type' } },
      byType: { Course: { title: 'as course' }, Lesson: { title: 'as lesson', weight: '1.5' } },
    },
    expand: true,
  },
  {
    name: 'protected term redefined by a property-scoped context',
    document: {
      '@context': {
        '@version': 1.1,
        '@protected': true,
        name: 'https://example.org/name',
        wrapper: { '@id': 'https://example.org/wrapper', '@context': { name: 'https://example.org/innerName' } },
      },
      name: 'outer',
      wrapper: { name: 'inner', wrapper: { name: 'innermost' } },
    },
    expand: true,
  },
];
