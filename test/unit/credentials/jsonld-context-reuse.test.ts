/**
 * Sello installs jsonld with a patch (patches/jsonld+9.0.0.patch, applied by
 * `postinstall`) that lets its processed-context cache work for type-scoped contexts,
 * which makes signing and verifying OB 3.0 credentials several times faster (see
 * bench/credentials.bench.ts). These tests show the patch is in place and that it
 * changes no output: every corpus document canonicalizes, expands and compacts to the
 * bytes the published library produced (test/vectors/jsonld/reference.json).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import jsonld from 'jsonld';
import { corpus } from '../../vectors/jsonld/corpus.ts';
import { jsonldOutputs } from '../../vectors/jsonld/outputs.ts';
import reference from '../../vectors/jsonld/reference.json' with { type: 'json' };
import { createDocumentLoader } from '../../../src/credentials/document-loader.ts';

const require = createRequire(import.meta.url);
const documentLoader = createDocumentLoader();
const references = reference as Record<string, unknown>;

describe('jsonld with reusable active contexts', () => {
  it('is the jsonld version the reference outputs were made with', () => {
    expect(require('jsonld/package.json').version).toBe(references.jsonld);
  });

  it.each(corpus.map((entry) => [entry.name, entry] as const))('gives the published library\'s output for %s', async (name, entry) => {
    expect(await jsonldOutputs(jsonld, entry, documentLoader)).toEqual(references[name]);
  });

  it('gives the same output when a document is processed again with warm caches', async () => {
    for (const entry of corpus) {
      await jsonldOutputs(jsonld, entry, documentLoader);
      expect(await jsonldOutputs(jsonld, entry, documentLoader)).toEqual(references[entry.name]);
    }
  });

  it('reuses one processed context for a type-scoped context applied again', async () => {
    const context = {
      '@vocab': 'https://example.org/vocab#',
      Course: { '@id': 'https://example.org/vocab#Course', '@context': { title: 'https://example.org/vocab#courseTitle' } },
    };
    const { getInitialContext, process: processContext } = require('jsonld/lib/context.js');
    const ContextResolver = require('jsonld/lib/ContextResolver.js');
    const options = { documentLoader, contextResolver: new ContextResolver({ sharedCache: new Map() }) };
    const active = await processContext({ activeCtx: getInitialContext({}), localCtx: context, options });
    const typeScoped = context.Course['@context'];
    const apply = () => processContext({ activeCtx: active, localCtx: typeScoped, propagate: false, options });
    const first = await apply();
    // Unpatched, each application clones the active context and so misses the cache.
    expect(await apply()).toBe(first);
    // Reverting to the context before the type-scoped one gives one object, not a
    // new copy each time, so what is processed under it is found in the cache too.
    expect(first.revertToPreviousContext()).toBe(first.revertToPreviousContext());
    expect(first.revertToPreviousContext().mappings).toEqual(active.mappings);
  });
});
