// What the Web UI's Current Details say at each stage of a run (pure rendering, no server).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProgressTracker } from '../workflows/progress-tracker';
import { renderRunDetails, type RunDetailsInput } from '../workflows/run-details';

function input(over: Partial<RunDetailsInput>, tracker = new ProgressTracker()): RunDetailsInput {
  return {
    connectionId: 'prod',
    runId: 'c7c0256b-9795-4097-af30-a33433a2b37f',
    status: 'running',
    streams: tracker.snapshot(),
    running: tracker.runningScopes(),
    failedScopes: 0,
    ...over,
  };
}

describe('current details', () => {
  it('list every stream, label the run id, and name what runs now', () => {
    const t = new ProgressTracker();
    t.expect('projects', 1);
    t.started('projects', '');
    t.started('tags', '');
    const text = renderRunDetails(input({}, t));
    for (const s of ['projects', 'tags', 'teams', 'team_maintainers', 'environments', 'flags', 'flag_statuses']) {
      assert.match(text, new RegExp(`\\n${s} `), s);
    }
    assert.match(text, /sync run `c7c0256b-9795-4097-af30-a33433a2b37f` \(`ldsync\.sync_runs\.id`\)/);
    assert.match(text, /Waiting for 2 running scope\(s\): projects, tags\./);
    assert.match(text, /heartbeat details under \*\*Pending Activities\*\*/);
  });

  it('say a run is stopping, and why, while its scopes wind down', () => {
    const t = new ProgressTracker();
    t.started('flags', 'web');
    const text = renderRunDetails(input({ stoppingBecause: 'a cancel request' }, t));
    assert.match(text, /^\*\*Stopping\*\*/);
    assert.match(text, /Stopping after a cancel request: waiting for 1 running scope\(s\) to stop/);
  });

  it('give a failed run its first failure and what to do, naming the connection', () => {
    const t = new ProgressTracker();
    t.expect('projects', 1);
    t.failed({ stream: 'projects', scope: '', type: 'invalid_credentials', message: 'the token was rejected (401)' });
    t.skipBecause('environments', 'projects failed');
    t.close('failed');
    const text = renderRunDetails(
      input(
        {
          status: 'failed',
          failedScopes: 3,
          firstFailure: { stream: 'projects', scope: '', type: 'invalid_credentials', message: 'rejected (401)' },
        },
        t,
      ),
    );
    assert.match(text, /^\*\*Failed\*\*/);
    assert.match(text, /First failure: `invalid_credentials` in projects \(3 scopes failed in all/);
    assert.match(text, /What to do: .*ldsync connections add prod --token-env VAR/);
    assert.match(text, /\nenvironments +not run +- /);
    assert.doesNotMatch(text, /1\/0/);
  });
});
