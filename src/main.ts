// The production entry point, compiled by `npm run build` to dist/src/main.js: what bin/ldsync.js
// does, without tsx, and with every worker on the workflow bundle the build made (no webpack at
// start). LDSYNC_WORKFLOW_BUNDLE names another bundle file; the default is dist/workflow-bundle.js.
import path from 'node:path';
import { main } from './cli/main';
import { relayDevCommand } from './dev/detached';
import { PREBUILT_BUNDLE_FILE, usePrebuiltWorkflowBundle } from './temporal/worker';

function start(argv: string[]): void {
  try {
    usePrebuiltWorkflowBundle(process.env.LDSYNC_WORKFLOW_BUNDLE || path.join(__dirname, '..', PREBUILT_BUNDLE_FILE));
  } catch (err) {
    console.error(`ldsync: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  if (!relayDevCommand(argv)) main(argv);
}

start(process.argv);
