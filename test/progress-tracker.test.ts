// Unit tests of the run bookkeeping the `progress` query and finishRun rely on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProgressTracker } from '../workflows/progress-tracker';
import type { StreamSummary } from '../src/shared';

const summary = (over: Partial<StreamSummary>): StreamSummary => ({
  stream: 'flags',
  scope: 'web',
  status: 'succeeded',
  pages: 2,
  requests: 3,
  counts: { inserted: 5, updated: 1, unchanged: 4, deleted: 2 },
  ...over,
});

describe('ProgressTracker', () => {
  it('adds live reports of running scopes to completed ones', () => {
    const t = new ProgressTracker();
    t.expect('flags', 2);
    t.succeeded(summary({ scope: 'web' }));
    t.report({ stream: 'flags', scope: 'api', pages: 1, rows: 100, requests: 2, waitingUntil: 1_700_000_000_000 });
    const flags = t.snapshot().flags;
    assert.equal(flags.state, 'running');
    assert.equal(flags.scopesDone, 1);
    assert.equal(flags.pages, 3);
    assert.equal(flags.rows, 110);
    assert.equal(flags.requests, 5);
    assert.equal(flags.waitingUntil, 1_700_000_000_000);
    assert.deepEqual(flags.counts, { inserted: 5, updated: 1, unchanged: 4, deleted: 2 });
  });

  it('says partial when some scopes failed and failed when all did', () => {
    const t = new ProgressTracker();
    t.expect('flags', 2);
    t.succeeded(summary({ scope: 'web' }));
    t.failed({ stream: 'flags', scope: 'api', type: 'upstream_unavailable', message: '500' });
    assert.equal(t.snapshot().flags.state, 'partial');
    assert.equal(t.runStatus(), 'partial');

    const all = new ProgressTracker();
    all.expect('tags', 1);
    all.failed({ stream: 'tags', scope: '', type: 'upstream_unavailable', message: '500' });
    assert.equal(all.runStatus(), 'failed');
    assert.equal(all.snapshot().tags.state, 'failed');
  });

  it('reports a skipped stream (teams not entitled) without failing the run', () => {
    const t = new ProgressTracker();
    t.expect('teams', 1);
    t.succeeded(summary({ stream: 'teams', scope: '', status: 'skipped', reason: 'not_entitled' }));
    assert.equal(t.snapshot().teams.state, 'skipped');
    assert.equal(t.runStatus(), 'succeeded');
  });

  it('closes unfinished streams as cancelled and streams without scopes as succeeded', () => {
    const t = new ProgressTracker();
    t.expect('flags', 2);
    t.succeeded(summary({ scope: 'web' }));
    t.close('cancelled');
    assert.equal(t.snapshot().flags.state, 'cancelled');

    const done = new ProgressTracker();
    done.close('done');
    assert.equal(done.snapshot().team_maintainers.state, 'succeeded');
  });

  it('round-trips through continue-as-new state', () => {
    const t = new ProgressTracker();
    t.expect('projects', 1);
    t.succeeded(summary({ stream: 'projects', scope: '' }));
    const carried = new ProgressTracker(JSON.parse(JSON.stringify(t.saved())));
    assert.deepEqual(carried.snapshot(), t.snapshot());
  });
});
