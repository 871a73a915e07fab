// Determinism: histories recorded from real runs must replay against today's workflow code. A change
// that breaks them needs `patched()` (or a new workflow type), or running syncs would fail on deploy.
// Re-record after an intended change: see test/fixtures/histories/README.md.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../src/temporal/worker';

const dir = path.join(__dirname, 'fixtures', 'histories');
// Child workflow ids derive from the parent's id, so a replay must run under the recorded id.
const workflowIds = JSON.parse(fs.readFileSync(path.join(dir, 'workflow-ids.json'), 'utf8')) as Record<string, string>;

describe('workflow replay', () => {
  for (const file of Object.keys(workflowIds)) {
    it(`replays ${file}`, async () => {
      const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
      assert.ok((history.events?.length ?? 0) > 5, 'a real history');
      await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, history, workflowIds[file]);
    });
  }
});
