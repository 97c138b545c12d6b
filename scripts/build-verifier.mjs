#!/usr/bin/env node
// Builds the verifier page (issue 11) into dist/verifier/ (or `--out DIR`):
//
//   verifier.js          the page's script: Sello's own verification (src/verifier, the
//                        code behind `sello verify`) bundled for browsers with esbuild
//   verifier.css         its stylesheet
//   template.html        the page with placeholders, which Sello fills when it serves it
//   sello-verifier.html  one self-contained file (script and style inline) that works
//                        opened from disk or from any static host
//
// Runs on `npm run prepare` (so during `npm ci`) and on `npm run build`. Offline: the
// JSON-LD contexts, the OB 3.0 schema and the contract ABIs are bundled from the
// installed packages and the repository. Node-only modules get browser stand-ins
// (src/verifier/browser/); the OB 3.0 schema validator is compiled here with ajv's
// standalone code (same options as src/credentials/schema.ts), because the served page
// runs under a CSP that forbids compiling code at run time.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';
import * as esbuild from 'esbuild';
import Ajv2019Module from 'ajv/dist/2019.js';
import addFormatsModule from 'ajv-formats';
import standaloneCodeModule from 'ajv/dist/standalone/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outIndex = process.argv.indexOf('--out');
const outDir = path.resolve(outIndex > 0 ? process.argv[outIndex + 1] : path.join(root, 'dist', 'verifier'));
const started = performance.now();

register();
const { OB3_SCHEMA, OB3_SCHEMA_AJV_OPTIONS } = await import('../src/credentials/schema.ts');
const { composeVerifierPage } = await import('../src/verifier/compose-page.ts');

const Ajv2019 = Ajv2019Module.default ?? Ajv2019Module;
const addFormats = addFormatsModule.default ?? addFormatsModule;
const standaloneCode = standaloneCodeModule.default ?? standaloneCodeModule;

/** The OB 3.0 validator as ES module source: ajv's generated code, exported as `validate`. */
function precompiledSchemaValidator() {
  const ajv = new Ajv2019({ ...OB3_SCHEMA_AJV_OPTIONS, code: { source: true, esm: true } });
  addFormats(ajv);
  return standaloneCode(ajv, ajv.compile(OB3_SCHEMA));
}

const browserDir = path.join(root, 'src', 'verifier', 'browser');
const schemaModule = path.join(root, 'src', 'credentials', 'schema.ts');

/** src/credentials/schema.ts's ajv, replaced by the validator compiled above. */
const precompiledAjv = {
  name: 'sello-precompiled-ajv',
  setup(build) {
    build.onResolve({ filter: /^(ajv\/dist\/2019(\.js)?|ajv-formats)$/ }, (args) =>
      args.importer === schemaModule ? { path: args.path, namespace: 'sello-ajv' } : undefined,
    );
    build.onResolve({ filter: /^sello-ajv:validator$/ }, () => ({ path: 'validator', namespace: 'sello-ajv' }));
    build.onLoad({ filter: /.*/, namespace: 'sello-ajv' }, (args) => {
      if (args.path === 'validator') return { contents: precompiledSchemaValidator(), loader: 'js', resolveDir: root };
      if (args.path.startsWith('ajv-formats')) return { contents: 'export default function addFormats() {}', loader: 'js' };
      const schemaId = JSON.stringify(OB3_SCHEMA.$id);
      return {
        contents: `import validate from 'sello-ajv:validator';
export default class PrecompiledAjv {
  compile(schema) {
    if (!schema || schema.$id !== ${schemaId}) throw new TypeError('Only the OB 3.0 schema is compiled into the verifier page');
    return validate;
  }
}`,
        loader: 'js',
        resolveDir: root,
      };
    });
  },
};

const result = await esbuild.build({
  entryPoints: [path.join(browserDir, 'main.ts')],
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: ['chrome109', 'firefox115', 'safari16'],
  minify: true,
  legalComments: 'none',
  write: false,
  metafile: true,
  logLevel: 'warning',
  alias: {
    'node:crypto': path.join(browserDir, 'node-crypto.ts'),
    crypto: path.join(browserDir, 'node-crypto.ts'),
    'node:zlib': path.join(browserDir, 'node-zlib.ts'),
  },
  inject: [path.join(browserDir, 'buffer-global.ts')],
  define: {
    'process.env.NODE_ENV': '"production"',
    global: 'globalThis',
    // Context packages name their .jsonld files relative to their module (metadata only,
    // never fetched); a classic script has no import.meta.
    'import.meta.url': JSON.stringify('https://verifier.sello.invalid/bundle.js'),
  },
  // Keep `</script` out of string literals, so the bundle can be inlined.
  supported: { 'inline-script': true },
  plugins: [precompiledAjv],
});

const script = result.outputFiles[0].text;
const style = fs.readFileSync(path.join(root, 'src', 'verifier', 'page', 'verifier.css'), 'utf8');
const template = fs.readFileSync(path.join(root, 'src', 'verifier', 'page', 'verifier.html'), 'utf8');
const standalone = composeVerifierPage({ form: 'standalone', template, script, style });

fs.mkdirSync(outDir, { recursive: true });
const write = (name, content) => fs.writeFileSync(path.join(outDir, name), content);
write('verifier.js', script);
write('verifier.css', style);
write('template.html', template);
write('sello-verifier.html', standalone);

const inputs = Object.keys(result.metafile.inputs);
const kib = (n) => `${Math.round(n / 1024)} KiB`;
console.log(
  `verifier page: ${path.relative(root, outDir) || outDir}/sello-verifier.html ${kib(Buffer.byteLength(standalone))} ` +
    `(${inputs.length} modules) in ${Math.round(performance.now() - started)} ms`,
);
