/**
 * Writes `reference.json`: what UNPATCHED jsonld produces for each corpus document.
 * Run it only against the library as published, never the patched copy:
 *
 *   npx patch-package --reverse && node bin/run-ts.js test/vectors/jsonld/generate.ts && npx patch-package
 */
import fs from 'node:fs';
import jsonld from 'jsonld';
import { corpus } from './corpus.ts';
import { createDocumentLoader } from '../../../src/credentials/document-loader.ts';
import { jsonldOutputs } from './outputs.ts';

const documentLoader = createDocumentLoader();
const reference: Record<string, unknown> = { jsonld: (await import('jsonld/package.json', { with: { type: 'json' } })).default.version };
for (const entry of corpus) reference[entry.name] = await jsonldOutputs(jsonld, entry, documentLoader);
fs.writeFileSync(new URL('./reference.json', import.meta.url), `${JSON.stringify(reference, null, 2)}\n`);
console.log(`wrote ${corpus.length} references`);
