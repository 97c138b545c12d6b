/**
 * RDF Dataset Canonicalization (RDFC-1.0, https://www.w3.org/TR/rdf-canon/) of a JSON-LD
 * document, with the JSON-LD → RDF step remembered per document *shape*.
 *
 * Sello signs and verifies thousands of credentials of one shape: the same contexts, keys,
 * types and nesting, different names, ids, dates and hashes. Converting each to RDF with
 * jsonld (expansion, node map, toRDF) cost two thirds of a signature. That conversion
 * looks at a string value only to decide whether it is a term, a compact IRI, a blank node
 * id or a relative IRI; a literal's text, or an absolute IRI whose scheme is no term, goes
 * into the RDF untouched. So the dataset of a document is its shape's dataset with the
 * values put in, and the shape's dataset is learnt once, from jsonld itself:
 *
 * 1. The document's *shape key*: its JSON with every string value replaced by a class
 *    (equal strings share one class, so nodes merge and duplicates collapse as they
 *    would), the class marked as an absolute IRI with its scheme and `//`, or as any other
 *    text. Strings that can change how jsonld reads the document stay in the key as they
 *    are: terms and compact IRIs of the bundled contexts, keywords, blank node ids, and
 *    everything under `@context`.
 * 2. Once per shape: jsonld converts the document with each class replaced by a probe
 *    (`<scheme>:x-sello-probe-<nonce>-<class>` for an IRI, so it takes the same branch of
 *    IRI expansion). A class whose probe comes out whole as a literal's text or as a
 *    subject / object / graph IRI (never a type, predicate, datatype or language) is a
 *    slot; any other class (a type, a `@vocab` value, an `@index`, a JSON literal) goes back
 *    to its own value and the probe run is repeated until every probe left is a slot.
 * 3. The first document of a shape is also converted by jsonld as is, and the template
 *    is kept only if both canonicalize to the same bytes.
 *
 * Anything outside that (other contexts, inline contexts, a loader that does not load the
 * bundled contexts, other options,
 * a shape jsonld rejects) is converted by jsonld as before. The canonical N-Quads are
 * byte-identical either way: test/unit/credentials/canonize-by-shape.test.ts compares
 * them with the library's on the canonicalization vectors and on generated values.
 */
import crypto from 'node:crypto';
import jsonld from 'jsonld';
import * as rdfCanonize from 'rdf-canonize';
const { NQuads } = rdfCanonize;
import { CONTEXTS } from './contexts.ts';

interface Term {
  termType: string;
  value: string;
  datatype?: Term;
  language?: string;
}
interface Quad {
  subject: Term;
  predicate: Term;
  object: Term;
  graph: Term;
}

/** The library canonicalization this replaces: `(input, options) => N-Quads`. */
export type Canonize = (input: object, options: Record<string, unknown>) => Promise<string>;

const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const RDF_JSON = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON';

/**
 * An absolute IRI as jsonld tests it (`/^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$/`), minus
 * blank nodes: the scheme is captured for the shape key.
 */
const ABSOLUTE_IRI = /^([A-Za-z][A-Za-z0-9+.-]*):(\S*)$/;

/** Shapes remembered (each with up to MAX_TEMPLATES_PER_SHAPE templates); the first learnt is forgotten first. */
export const MAX_SHAPES = 128;
/**
 * Characters the remembered shapes may hold: their keys and their templates as JSON, which
 * the heap they hold follows (about two bytes a character: a 7,500-value credential's
 * shape held 3.7 MB). A verifier learns the shapes of what it is sent, so without this
 * bound 128 shapes of large submitted credentials held about 500 MB in every worker.
 * Sello's own credential's shape is some 20,000 characters (an inline badge image is a
 * slot, not part of its template); a shape larger than an eighth of the budget is never learnt.
 */
export const MAX_HELD_CHARS = 8_000_000;
const MAX_SHAPE_CHARS = MAX_HELD_CHARS / 8;
const MAX_TEMPLATES_PER_SHAPE = 8;
const MAX_PROBE_ROUNDS = 4;

/** A slot (class index) or a fixed string, for each term of each quad. */
type TermTemplate = { termType: string; value: string | number; datatype?: TermTemplate; language?: string };
interface QuadTemplate {
  subject: TermTemplate;
  predicate: TermTemplate;
  object: TermTemplate;
  graph: TermTemplate;
}
interface Template {
  /** Classes that are not slots: `[class, the value it must have]`. */
  fixed: Array<[number, string]>;
  quads: QuadTemplate[];
  /** What RDFC-1.0 of an instance can take from the template (null: the library canonicalizes). */
  plan: CanonicalPlan | null;
}

/**
 * The parts of RDFC-1.0 that are the same for every instance of a template: the N-Quads
 * lines of quads without slots, and which quads name which blank node.
 */
interface CanonicalPlan {
  /** Each quad as is when it has no slot, null when it has one. */
  constant: Array<Quad | null>;
  /** Per blank node: first-degree lines of its quads without slots, and its quads with slots. */
  blankNodes: Array<{ id: string; lines: string[]; slotted: number[] }>;
  /** Final lines of the quads with neither slots nor blank nodes. */
  lines: string[];
  /** Quads whose final line is made each time (a slot, or a blank node to relabel). */
  variable: number[];
}
interface Shape {
  key: string;
  /** Class index → the string of that class. */
  values: string[];
  /** Classes whose string also stands under a keyword: never slots. */
  pinned: number[];
  /** The document's context URLs. */
  contexts: string[];
}

// A shape key → its templates, or null when jsonld would not convert the shape or a
// template did not reproduce jsonld's own output (the shape is then always converted by jsonld).
const templates = new Map<string, Template[] | null>();
// Characters each remembered shape holds (see MAX_HELD_CHARS), and their sum.
const heldByShape = new Map<string, number>();
let held = 0;
const templateChars = new WeakMap<Template, number>();
const statistics = { hits: 0, misses: 0, learnt: 0, refused: 0 };

/** How often a template served a document, and what the templates hold, for tests and benchmarks. */
export function canonizeByShapeStatistics(): Readonly<typeof statistics> & { shapes: number; heldChars: number } {
  return { ...statistics, shapes: templates.size, heldChars: held };
}

/** Forgets every template (tests). */
export function forgetShapes(): void {
  templates.clear();
  heldByShape.clear();
  held = 0;
  Object.assign(statistics, { hits: 0, misses: 0, learnt: 0, refused: 0 });
}

let definedTerms: Set<string> | null = null;

/** Every key of every bundled context, scoped contexts included: the strings jsonld may read as terms or prefixes. */
function termsOfBundledContexts(): Set<string> {
  if (definedTerms) return definedTerms;
  const terms = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) for (const item of value) walk(item);
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        terms.add(key);
        walk(inner);
      }
    }
  };
  for (const context of CONTEXTS.values()) walk(context);
  definedTerms = terms;
  return terms;
}

/** True when jsonld may read `value` as something other than opaque text or an opaque absolute IRI. */
function readByJsonLd(value: string, terms: Set<string>): boolean {
  if (value.startsWith('@') || value.startsWith('_:') || terms.has(value)) return true;
  const colon = value.indexOf(':');
  return colon > 0 && terms.has(value.slice(0, colon));
}

/**
 * Keywords whose values jsonld reads (types, languages, indexes, contexts...): kept in the
 * shape key as they are. `@id` and `@value` are not among them: their strings are IRIs and
 * literals like any other.
 */
const READ_KEYWORDS = new Set(['@context', '@type', '@language', '@direction', '@index', '@base', '@vocab', '@version', '@protected', '@propagate', '@import', '@container']);

// Keys as JSON strings, remembered: documents of one shape repeat the same few keys.
const quotedKeys = new Map<string, string>();
const MAX_QUOTED_KEYS = 4096;

function quoted(key: string): string {
  let out = quotedKeys.get(key);
  if (out === undefined) {
    out = JSON.stringify(key);
    if (quotedKeys.size < MAX_QUOTED_KEYS) quotedKeys.set(key, out);
  }
  return out;
}

/** One walk of a document: its classes so far, and what the key must also say. */
class ShapeWalk {
  readonly classes = new Map<string, number>();
  readonly values: string[] = [];
  /** Each class's part of the key. */
  readonly descriptors: string[] = [];
  /** Strings kept as they are under a keyword: a class with the same string must keep it too. */
  kept: Set<string> | null = null;
  inlineContext = false;

  constructor(readonly terms: Set<string>) {}

  describe(value: unknown): string {
    if (typeof value === 'string') return this.describeString(value);
    if (Array.isArray(value)) {
      let out = '[';
      for (const item of value) out += `${this.describe(item)},`;
      return `${out}]`;
    }
    if (value && typeof value === 'object') return this.describeObject(value as Record<string, unknown>);
    return JSON.stringify(value) ?? 'u';
  }

  describeObject(object: Record<string, unknown>, skipContext = false): string {
    let out = '{';
    for (const key in object) {
      if (!Object.hasOwn(object, key)) continue;
      const inner = object[key];
      if (key === '@context') {
        if (skipContext) continue;
        this.inlineContext = true;
      }
      if (READ_KEYWORDS.has(key)) {
        this.keep(inner);
        out += `${quoted(key)}:V${JSON.stringify(inner)},`;
      } else out += `${quoted(key)}:${this.describe(inner)},`;
    }
    return `${out}}`;
  }

  describeString(value: string): string {
    const index = this.classes.get(value);
    if (index !== undefined) return this.descriptors[index]!;
    if (readByJsonLd(value, this.terms)) return `V${JSON.stringify(value)}`;
    const next = this.values.length;
    const iri = ABSOLUTE_IRI.exec(value);
    const descriptor = iri ? `I${iri[1]}${iri[2]!.startsWith('//') ? '//' : ':'}${next}` : `L${next}`;
    this.classes.set(value, next);
    this.values.push(value);
    this.descriptors.push(descriptor);
    return descriptor;
  }

  keep(value: unknown): void {
    if (typeof value === 'string') (this.kept ??= new Set()).add(value);
    else if (Array.isArray(value)) for (const item of value) this.keep(item);
    else if (value && typeof value === 'object') for (const inner of Object.values(value)) this.keep(inner);
  }
}

/**
 * The shape of `document`, or null when only jsonld may convert it: a context that is
 * not a bundled URL, or an `@context` below the top.
 */
function shapeOf(document: Record<string, unknown>): Shape | null {
  const context = document['@context'];
  const urls: unknown[] = Array.isArray(context) ? context : [context];
  for (const url of urls) if (typeof url !== 'string' || !CONTEXTS.has(url)) return null;
  const walk = new ShapeWalk(termsOfBundledContexts());
  let key = `C${JSON.stringify(context)}${walk.describeObject(document, true)}`;
  if (walk.inlineContext) return null;
  const pinned: number[] = [];
  if (walk.kept) {
    for (const value of walk.kept) {
      const index = walk.classes.get(value);
      if (index !== undefined) {
        pinned.push(index);
        key += `P${index}=${JSON.stringify(value)}`;
      }
    }
  }
  return { key, values: walk.values, pinned, contexts: urls as string[] };
}

/** `document` with each string of a class replaced by `replace(class)`. */
function withClassesReplaced(document: Record<string, unknown>, shape: Shape, replace: (index: number) => string): Record<string, unknown> {
  const indexOf = new Map(shape.values.map((value, index) => [value, index]));
  const rebuild = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const index = indexOf.get(value);
      return index === undefined ? value : replace(index);
    }
    if (Array.isArray(value)) return value.map(rebuild);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, READ_KEYWORDS.has(key) ? inner : rebuild(inner)]));
    }
    return value;
  };
  return rebuild(document) as Record<string, unknown>;
}

function toRdfOptions(options: Record<string, unknown>): Record<string, unknown> {
  // As the eddsa-rdfc-2022 cryptosuite's canonize converts.
  const all = { algorithm: 'RDFC-1.0', format: 'application/n-quads', base: null, safe: true, ...options };
  const forRdf: Record<string, unknown> = { rdfDirection: 'i18n-datatype', ...all, produceGeneralizedRdf: false };
  delete forRdf.format;
  return forRdf;
}

function canonizeOptions(options: Record<string, unknown>): Record<string, unknown> {
  return { algorithm: 'RDFC-1.0', format: 'application/n-quads', base: null, safe: true, ...options };
}

/** Learns the template of `document`'s shape from jsonld (see the module comment, step 2); null when it cannot. */
async function learnTemplate(document: Record<string, unknown>, shape: Shape, options: Record<string, unknown>): Promise<Template | null> {
  const nonce = Math.random().toString(36).slice(2, 12);
  const marker = `x-sello-probe-${nonce}-`;
  if (shape.values.some((value) => value.includes(marker))) return null;
  const probeOf = (index: number): string => {
    const iri = ABSOLUTE_IRI.exec(shape.values[index]!);
    if (!iri) return `${marker}${index}`;
    return `${iri[1]}:${iri[2]!.startsWith('//') ? '//' : ''}${marker}${index}`;
  };
  const probes = new Map<string, number>();
  for (let index = 0; index < shape.values.length; index += 1) probes.set(probeOf(index), index);
  const fixed = new Set<number>(shape.pinned);
  const found = new RegExp(`${marker}(\\d+)`, 'g');
  for (let round = 0; round < MAX_PROBE_ROUNDS; round += 1) {
    const probed = withClassesReplaced(document, shape, (index) => (fixed.has(index) ? shape.values[index]! : probeOf(index)));
    let dataset: Quad[];
    try {
      dataset = (await jsonld.toRDF(probed, toRdfOptions(options))) as Quad[];
    } catch {
      return null;
    }
    const slots = new Set<number>();
    const notSlots = new Set<number>();
    const look = (value: string | undefined, slotAllowed: boolean) => {
      if (value === undefined || !value.includes(marker)) return;
      const whole = probes.get(value);
      if (slotAllowed && whole !== undefined) {
        slots.add(whole);
        return;
      }
      for (const match of value.matchAll(found)) notSlots.add(Number(match[1]));
    };
    for (const quad of dataset) {
      look(quad.subject.value, quad.subject.termType === 'NamedNode');
      look(quad.predicate.value, false);
      const object = quad.object;
      const literal = object.termType === 'Literal' && object.datatype?.value !== RDF_JSON;
      look(object.value, literal || (object.termType === 'NamedNode' && quad.predicate.value !== RDF_TYPE));
      look(object.datatype?.value, false);
      look(object.language, false);
      look(quad.graph.value, quad.graph.termType === 'NamedNode');
    }
    // A class that vanished (an @index, a language) or came out changed is not a slot.
    const back = [...probes.values()].filter((index) => !fixed.has(index) && (notSlots.has(index) || !slots.has(index)));
    if (back.length === 0) {
      const slot = (term: Term): TermTemplate => {
        const index = probes.get(term.value);
        const value = index !== undefined && !fixed.has(index) ? index : term.value;
        return {
          termType: term.termType,
          value,
          ...(term.datatype ? { datatype: slot(term.datatype) } : {}),
          ...(term.language !== undefined ? { language: term.language } : {}),
        };
      };
      const quads = dataset.map((quad) => ({ subject: slot(quad.subject), predicate: slot(quad.predicate), object: slot(quad.object), graph: slot(quad.graph) }));
      return { fixed: [...fixed].map((index) => [index, shape.values[index]!]), quads, plan: canonicalPlan(quads) };
    }
    for (const index of back) fixed.add(index);
  }
  return null;
}

function hasSlot(term: TermTemplate): boolean {
  return typeof term.value === 'number' || (term.datatype !== undefined && hasSlot(term.datatype));
}

function quadHasSlot(quad: QuadTemplate): boolean {
  return hasSlot(quad.subject) || hasSlot(quad.predicate) || hasSlot(quad.object) || hasSlot(quad.graph);
}

function instanceTerm(term: TermTemplate, values: string[]): Term {
  const out: Term = { termType: term.termType, value: typeof term.value === 'number' ? values[term.value]! : term.value };
  if (term.datatype) out.datatype = instanceTerm(term.datatype, values);
  if (term.language !== undefined) out.language = term.language;
  return out;
}

function instanceQuad(quad: QuadTemplate, values: string[]): Quad {
  return {
    subject: instanceTerm(quad.subject, values),
    predicate: instanceTerm(quad.predicate, values),
    object: instanceTerm(quad.object, values),
    graph: instanceTerm(quad.graph, values),
  };
}

function instantiate(template: Template, values: string[]): Quad[] {
  return template.quads.map((quad) => instanceQuad(quad, values));
}

const sha256 = (text: string): string => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

const A: Term = { termType: 'BlankNode', value: 'a' };
const Z: Term = { termType: 'BlankNode', value: 'z' };

/** A term as the Hash First Degree Quads algorithm serializes it for blank node `id`. */
function firstDegree(term: Term, id: string): Term {
  return term.termType === 'BlankNode' ? (term.value === id ? A : Z) : term;
}

function firstDegreeLine(quad: Quad, id: string): string {
  return NQuads.serializeQuadComponents(firstDegree(quad.subject, id), quad.predicate, firstDegree(quad.object, id), firstDegree(quad.graph, id));
}

function relabelled(term: Term, canonical: Map<string, Term>): Term {
  return term.termType === 'BlankNode' ? canonical.get(term.value)! : term;
}

function mentionsBlankNode(quad: QuadTemplate): boolean {
  return quad.subject.termType === 'BlankNode' || quad.object.termType === 'BlankNode' || quad.graph.termType === 'BlankNode';
}

/** The plan of a template, or null when the library must canonicalize its instances. */
function canonicalPlan(quads: QuadTemplate[]): CanonicalPlan | null {
  const constant = quads.map((quad) => (quadHasSlot(quad) ? null : (quad as Quad)));
  // Each blank node's quads, each quad once (the library keeps a set of quads per node).
  const quadsOf = new Map<string, number[]>();
  quads.forEach((quad, index) => {
    for (const term of [quad.subject, quad.object, quad.graph]) {
      if (term.termType !== 'BlankNode') continue;
      const id = String(term.value);
      const list = quadsOf.get(id);
      if (!list) quadsOf.set(id, [index]);
      else if (list[list.length - 1] !== index) list.push(index);
    }
  });
  const blankNodes: CanonicalPlan['blankNodes'] = [];
  for (const [id, indexes] of quadsOf) {
    // The library issues `c14n…` ids and leaves a node already named so alone.
    if (id.startsWith('c14n')) return null;
    blankNodes.push({
      id,
      lines: indexes.filter((index) => constant[index]).map((index) => firstDegreeLine(constant[index]!, id)),
      slotted: indexes.filter((index) => !constant[index]),
    });
  }
  const lines: string[] = [];
  const variable: number[] = [];
  quads.forEach((quad, index) => {
    if (constant[index] && !mentionsBlankNode(quad)) lines.push(NQuads.serializeQuadComponents(quad.subject, quad.predicate, quad.object, quad.graph));
    else variable.push(index);
  });
  return { constant, blankNodes, lines, variable };
}

/**
 * RDFC-1.0 (https://www.w3.org/TR/rdf-canon/#canon-algorithm) of an instance of a template
 * whose blank nodes all have distinct first-degree hashes, the case of every credential
 * Sello makes: steps 4 and 5 (hash each blank node's quads with `_:a` / `_:z`, issue
 * canonical ids in hash order) and 7 (relabel, sort), with the library's own N-Quads
 * serialization. Null when two hashes are equal: the N-degree steps are the library's.
 */
function canonizeInstance(template: Template, plan: CanonicalPlan, values: string[]): string | null {
  const quads: Array<Quad | null> = plan.constant.slice();
  for (let index = 0; index < quads.length; index += 1) {
    if (!quads[index]) quads[index] = instanceQuad(template.quads[index]!, values);
  }
  const byHash = new Map<string, string>();
  for (const node of plan.blankNodes) {
    const lines = node.lines.slice();
    for (const index of node.slotted) lines.push(firstDegreeLine(quads[index]!, node.id));
    lines.sort();
    const hash = sha256(lines.join(''));
    if (byHash.has(hash)) return null;
    byHash.set(hash, node.id);
  }
  const canonical = new Map<string, Term>();
  let next = 0;
  for (const hash of [...byHash.keys()].sort()) canonical.set(byHash.get(hash)!, { termType: 'BlankNode', value: `c14n${next++}` });
  const lines = plan.lines.slice();
  for (const index of plan.variable) {
    const quad = quads[index]!;
    lines.push(NQuads.serializeQuadComponents(relabelled(quad.subject, canonical), quad.predicate, relabelled(quad.object, canonical), relabelled(quad.graph, canonical)));
  }
  lines.sort();
  return lines.join('');
}

/** The canonical N-Quads of `template` filled with `values`. */
async function canonizeTemplate(template: Template, values: string[], options: Record<string, unknown>): Promise<string> {
  const fast = template.plan ? canonizeInstance(template, template.plan, values) : null;
  return fast ?? rdfCanonize.canonize(instantiate(template, values), canonizeOptions(options));
}

/** The template of `known` whose fixed classes have this shape's values. */
function templateFor(known: Template[], values: string[]): Template | null {
  for (const template of known) {
    let matches = true;
    for (const [index, value] of template.fixed) {
      if (values[index] !== value) {
        matches = false;
        break;
      }
    }
    if (matches) return template;
  }
  return null;
}

function remember(key: string, value: Template[] | null): void {
  const chars = key.length + (value ?? []).reduce((sum, template) => sum + (templateChars.get(template) ?? 0), 0);
  held += chars - (heldByShape.get(key) ?? 0);
  heldByShape.set(key, chars);
  templates.set(key, value);
  while (templates.size > MAX_SHAPES || held > MAX_HELD_CHARS) {
    const oldest = templates.keys().next().value!;
    held -= heldByShape.get(oldest) ?? 0;
    heldByShape.delete(oldest);
    templates.delete(oldest);
  }
}

/** Only the options the cryptosuite passes, with the values under which a template holds. */
function templateApplies(options: Record<string, unknown>): boolean {
  for (const name in options) {
    const value = options[name];
    if (name === 'documentLoader') {
      if (typeof value !== 'function') return false;
    } else if (name === 'base') {
      if (value !== null) return false;
    } else if (name === 'safe') {
      if (value !== true) return false;
    } else if (name === 'skipExpansion') {
      if (value !== false) return false;
    } else return false;
  }
  return options.base === null && options.safe === true;
}

// Loader → the context URLs it was seen to load as the bundled documents.
const checkedLoaders = new WeakMap<object, Set<string>>();

/**
 * True when `loader` loads each of `urls` as the bundled context (the same object), as
 * Sello's loaders do, also when jsonld-signatures wraps them: a template learnt with the
 * bundled contexts holds only for them.
 */
async function loadsBundledContexts(loader: (url: string) => Promise<unknown>, urls: string[]): Promise<boolean> {
  let checked = checkedLoaders.get(loader);
  if (!checked) {
    checked = new Set();
    checkedLoaders.set(loader, checked);
  }
  for (const url of urls) {
    if (checked.has(url)) continue;
    try {
      const loaded = (await loader(url)) as { document?: unknown } | null;
      if (loaded?.document !== CONTEXTS.get(url)) return false;
    } catch {
      return false;
    }
    checked.add(url);
  }
  return true;
}

/**
 * `canonize` with the same output as `library`, faster for documents of a shape seen
 * before. Errors are the library's (a document jsonld rejects is always handed to it).
 */
export function canonizeByShape(library: Canonize): Canonize {
  return async (input, options) => {
    if (!input || typeof input !== 'object' || Array.isArray(input) || !templateApplies(options)) return library(input, options);
    const document = input as Record<string, unknown>;
    const shape = shapeOf(document);
    if (!shape || !(await loadsBundledContexts(options.documentLoader as (url: string) => Promise<unknown>, shape.contexts))) {
      return library(input, options);
    }
    const known = templates.get(shape.key);
    if (known === null) return library(input, options);
    if (known) {
      const template = templateFor(known, shape.values);
      if (template) {
        statistics.hits += 1;
        return canonizeTemplate(template, shape.values, options);
      }
    }
    statistics.misses += 1;
    const expected = await library(input, options);
    if (shape.key.length > MAX_SHAPE_CHARS) return expected;
    const template = await learnTemplate(document, shape, options);
    const reproduced = template ? await canonizeTemplate(template, shape.values, options) : null;
    if (!template || reproduced !== expected) {
      statistics.refused += 1;
      if (!known) remember(shape.key, null);
      return expected;
    }
    const chars = JSON.stringify(template).length;
    if (shape.key.length + chars > MAX_SHAPE_CHARS) return expected;
    statistics.learnt += 1;
    templateChars.set(template, chars);
    const list = known ?? [];
    list.push(template);
    if (list.length > MAX_TEMPLATES_PER_SHAPE) list.shift();
    remember(shape.key, list);
    return expected;
  };
}
