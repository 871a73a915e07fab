#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx, so a fresh clone needs no build step.
require('tsx/cjs');
require('../src/cli/main.ts').main(process.argv);
