#!/usr/bin/env node
// Runs one TypeScript script (benchmarks, tools) through tsx's loader: `node bin/run-ts.js FILE [args]`.
import { register } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bin/run-ts.js FILE.ts [args...]\n');
  process.exit(2);
}
register();
process.argv.splice(1, 1); // the script sees itself as argv[1]
await import(pathToFileURL(resolve(file)).href);
