#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx, so a fresh clone needs no build step.
require('tsx/cjs');
// `ldsync dev` runs its stack in a detached copy of this process (src/dev/detached.ts). Deciding
// here spares the relaying process from loading the whole CLI, which it never uses.
const { relayDevCommand } = require('../src/dev/detached.ts');
if (!relayDevCommand(process.argv)) require('../src/cli/main.ts').main(process.argv);
