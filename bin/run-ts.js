#!/usr/bin/env node
// Runs a TypeScript file of the project (benchmarks, scripts) with tsx's loader.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
await import(pathToFileURL(path.resolve(process.argv[2])).href);
