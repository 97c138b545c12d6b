#!/usr/bin/env node
// Sello runs its TypeScript sources through tsx's loader: no build step stands
// between a fresh `npm ci` and a working `sello` command.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
// `serve` never resolves; every other command ends here.
process.exitCode = code;
