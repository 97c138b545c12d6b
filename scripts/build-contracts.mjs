#!/usr/bin/env node
// Compiles contracts/*.sol with solc-js into contracts/artifacts/<Name>.json ({abi,
// bytecode, deployedBytecode}). Runs on `npm run prepare` (so during `npm ci`) and on
// `npm run build`.
//
// Why a hash check: solc-js compiles from wasm in 3-4.5 s, and the artifacts are
// committed so a fresh clone works before any build. The hash covers every source, the
// compiler version, the settings and the OpenZeppelin version; when it matches
// contracts/artifacts/build-info.json, nothing is compiled. `--force` compiles anyway.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const contractsDir = path.join(root, 'contracts');
const artifactsDir = path.join(contractsDir, 'artifacts');
const buildInfoPath = path.join(artifactsDir, 'build-info.json');
const require = createRequire(import.meta.url);

/** Contracts that get an artifact: the deployable ones. */
const DEPLOYABLE = ['SelloRegistry', 'IssuerDirectory', 'TrustList'];
const SOLC_VERSION = '0.8.37';
const SETTINGS = {
  // Cancun: the oldest EVM OpenZeppelin 5.7 supports and one that most EVM chains run.
  evmVersion: 'cancun',
  optimizer: { enabled: true, runs: 200 },
  // No metadata hash in the bytecode: IssuerDirectory sits at a CREATE2 address derived
  // from its creation code on every chain, which must not move when a comment changes.
  metadata: { bytecodeHash: 'none' },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
};

function listSources(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'artifacts') found.push(...listSources(full));
    else if (entry.isFile() && entry.name.endsWith('.sol')) found.push(full);
  }
  return found.sort();
}

function ozVersion() {
  try {
    return JSON.parse(fs.readFileSync(require.resolve('@openzeppelin/contracts/package.json'), 'utf8')).version;
  } catch {
    return 'missing';
  }
}

const sources = listSources(contractsDir);
if (sources.length === 0) process.exit(0);
const hash = crypto.createHash('sha256');
hash.update(JSON.stringify({ SOLC_VERSION, SETTINGS, oz: ozVersion(), DEPLOYABLE }));
const input = {};
for (const file of sources) {
  const name = path.relative(contractsDir, file).split(path.sep).join('/');
  const content = fs.readFileSync(file, 'utf8');
  input[name] = { content };
  hash.update(`\0${name}\0${content}`);
}
const sourceHash = hash.digest('hex');
const force = process.argv.includes('--force');
const previous = fs.existsSync(buildInfoPath) ? JSON.parse(fs.readFileSync(buildInfoPath, 'utf8')) : null;
const haveAll = DEPLOYABLE.every((name) => fs.existsSync(path.join(artifactsDir, `${name}.json`)));
if (!force && previous?.sourceHash === sourceHash && haveAll) process.exit(0);

let solc;
try {
  solc = require('solc');
} catch {
  // Production installs (`npm ci --omit=dev`) have no compiler: keep the committed artifacts.
  console.warn('build-contracts: solc is not installed; keeping the committed artifacts');
  process.exit(0);
}
if (!solc.version().startsWith(SOLC_VERSION)) {
  console.error(`build-contracts: expected solc ${SOLC_VERSION}, found ${solc.version()}`);
  process.exit(1);
}

function findImports(importPath) {
  try {
    return { contents: fs.readFileSync(require.resolve(importPath), 'utf8') };
  } catch (error) {
    return { error: `cannot resolve ${importPath}: ${error.message}` };
  }
}

const started = Date.now();
const output = JSON.parse(
  solc.compile(JSON.stringify({ language: 'Solidity', sources: input, settings: SETTINGS }), { import: findImports }),
);
const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
for (const message of output.errors ?? []) console.error(message.formattedMessage);
if (errors.length > 0) process.exit(1);

fs.mkdirSync(artifactsDir, { recursive: true });
for (const name of DEPLOYABLE) {
  const unit = Object.entries(output.contracts).find(([, contracts]) => contracts[name])?.[1][name];
  if (!unit) {
    console.error(`build-contracts: ${name} not found in the output`);
    process.exit(1);
  }
  const artifact = {
    contractName: name,
    abi: unit.abi,
    bytecode: `0x${unit.evm.bytecode.object}`,
    deployedBytecode: `0x${unit.evm.deployedBytecode.object}`,
  };
  fs.writeFileSync(path.join(artifactsDir, `${name}.json`), `${JSON.stringify(artifact, null, 2)}\n`);
}
fs.writeFileSync(
  buildInfoPath,
  `${JSON.stringify({ sourceHash, compiler: solc.version(), settings: SETTINGS, openzeppelin: ozVersion() }, null, 2)}\n`,
);
console.log(`build-contracts: compiled ${sources.length} sources in ${((Date.now() - started) / 1000).toFixed(1)} s`);
