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
  it('lists running scopes and adds finished ones to the counts', () => {
    const t = new ProgressTracker();
    t.expect('flags', 2);
    t.started('flags', 'web');
    t.started('flags', 'api');
    assert.equal(t.snapshot().flags.state, 'running');
    t.succeeded(summary({ scope: 'web' }));
    assert.deepEqual(t.runningScopes(), [{ stream: 'flags', scope: 'api' }]);
    const flags = t.snapshot().flags;
    assert.equal(flags.state, 'running');
    assert.equal(flags.scopesDone, 1);
    assert.equal(flags.pages, 2);
    assert.equal(flags.rows, 10);
    assert.equal(flags.requests, 3);
    assert.deepEqual(flags.counts, { inserted: 5, updated: 1, unchanged: 4, deleted: 2 });
  });

  it('says not run for streams that never started, never done beyond total', () => {
    const t = new ProgressTracker();
    t.expect('projects', 1);
    t.expect('tags', 1);
    t.started('projects', '');
    t.failed({ stream: 'projects', scope: '', type: 'upstream_unavailable', message: 'ENOTFOUND' });
    t.skipBecause('environments', 'projects failed');
    t.failed({ stream: 'tags', scope: '', type: 'upstream_unavailable', message: 'ENOTFOUND' });
    assert.equal(t.runStatus(), 'failed');
    t.close('failed');
    const s = t.snapshot();
    assert.equal(s.projects.state, 'failed');
    assert.equal(s.environments.state, 'not_run');
    assert.equal(s.flags.state, 'not_run');
    assert.equal(s.team_maintainers.state, 'not_run');
    for (const stream of Object.values(s)) assert.ok(stream.scopesDone <= stream.scopesTotal);
  });

  it('says failed, not partial, when the only success was a skipped stream', () => {
    const t = new ProgressTracker();
    t.expect('projects', 1);
    t.expect('teams', 1);
    t.failed({ stream: 'projects', scope: '', type: 'invalid_permissions', message: '403' });
    t.succeeded(summary({ stream: 'teams', scope: '', status: 'skipped', reason: 'not_entitled' }));
    assert.equal(t.runStatus(), 'failed');
  });

  it('closes a started but stopped scope as cancelled', () => {
    const t = new ProgressTracker();
    t.expect('flags', 1);
    t.started('flags', 'web');
    t.stopped('flags', 'web');
    t.close('cancelled');
    assert.equal(t.snapshot().flags.state, 'cancelled');
    assert.deepEqual(t.runningScopes(), []);
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
