// Version 2's fan-out, frozen: the fixed plan of projects, tags and teams that `syncConnection` ran
// before the catalog plan (patch `catalog-plan`). Runs that began on it, or were carried over from
// it, replay and finish here; test/fixtures/histories/sync-connection-v2.json holds it to that.
// Do not change the commands it issues; Window and settleAll are shared with the current code, and
// the v2 replay fixture gates them too.
import * as wf from '@temporalio/workflow';
import { streamActivities } from '../activity-options';
import type { FanOut } from '../fan-out';
import { settleAll } from '../fan-out';
import type { SyncOptions } from '../input';
import { syncFlagStatuses } from '../sync-flag-statuses';
import type { SyncRun } from '../sync-run';
import { Window } from '../window';

const DEFAULT_PROJECT_WINDOW = 4;
const DEFAULT_TEAM_WINDOW = 4;
const DEFAULT_FLAG_STATUS_WINDOW = 50;

/**
 * The fan-out of one run: projects, tags and teams at once; per project its environments, then its
 * flags beside one `syncFlagStatuses` child per environment; per team its maintainers. Every fan-out
 * waits for all of its branches (never only the first to fail), so a cancel ends only when they stop.
 */
export class FixedSyncPlan implements FanOut {
  continueAsNew = false;
  pending: string[] = [];
  private readonly projectWindow: Window;
  private readonly teamWindow: Window;
  private readonly statusWindow: Window;

  constructor(
    private readonly run: SyncRun,
    private readonly options: SyncOptions,
  ) {
    this.projectWindow = new Window(options.projectWindow ?? DEFAULT_PROJECT_WINDOW);
    this.teamWindow = new Window(options.teamWindow ?? DEFAULT_TEAM_WINDOW);
    this.statusWindow = new Window(options.flagStatusWindow ?? DEFAULT_FLAG_STATUS_WINDOW);
  }

  async everything(): Promise<void> {
    this.run.expect('projects', 1);
    this.run.expect('tags', 1);
    this.run.expect('teams', 1);
    await settleAll([
      this.projectsAndBelow(),
      this.run.scope('tags', '', () => this.activities('tags').syncTags(this.ref())),
      this.teamsAndMaintainers(),
    ]);
  }

  /** Starts projects through the window until done, or until history asks for continue-as-new. */
  async resume(keys: string[]): Promise<void> {
    this.pending = [...keys];
    const running: Promise<void>[] = [];
    let stopped: unknown = null;
    try {
      while (this.pending.length > 0) {
        const leave = await this.projectWindow.enter();
        // At least one project per run, so a tight limit still makes progress.
        if (running.length > 0 && this.historyIsLong()) {
          leave();
          this.continueAsNew = true;
          break;
        }
        const projectKey = this.pending.shift() as string;
        running.push(this.project(projectKey).finally(leave));
      }
    } catch (err) {
      // A cancel while waiting for the window: the projects already started still have to stop.
      stopped = err;
    }
    await settleAll(running);
    if (stopped !== null) throw stopped;
  }

  private async projectsAndBelow(): Promise<void> {
    const projects = await this.run.scope('projects', '', () => this.activities('projects').syncProjects(this.ref()));
    if (projects === null) {
      this.run.streamNotRun('environments', 'projects');
      this.run.streamNotRun('flags', 'projects');
      this.run.streamNotRun('flag_statuses', 'projects');
      return;
    }
    this.run.expect('environments', projects.keys.length);
    this.run.expect('flags', projects.keys.length);
    await this.resume(projects.keys);
  }

  private async project(projectKey: string): Promise<void> {
    const envs = await this.run.scope('environments', projectKey, () =>
      this.activities(`environments of project ${projectKey}`).syncEnvironments({ ...this.ref(), projectKey }),
    );
    if (envs === null) {
      this.run.scopeNotRun('flags', projectKey, 'environments');
      return;
    }
    this.run.expect('flag_statuses', envs.keys.length);
    await settleAll([
      this.run.scope('flags', projectKey, () =>
        this.activities(`flags of project ${projectKey}`).syncFlags({
          ...this.ref(),
          projectKey,
          environmentKeys: envs.keys,
        }),
      ),
      ...envs.keys.map((environmentKey) =>
        this.statusWindow.run(() =>
          this.run.scope('flag_statuses', `${projectKey}/${environmentKey}`, () =>
            wf.executeChild(syncFlagStatuses, {
              workflowId: `${wf.workflowInfo().workflowId}/flag-statuses/${projectKey}/${environmentKey}`,
              args: [{ ...this.ref(), projectKey, environmentKey, maxAttempts: this.options.maxAttempts }],
            }),
          ),
        ),
      ),
    ]);
  }

  private async teamsAndMaintainers(): Promise<void> {
    const teams = await this.run.scope('teams', '', () => this.activities('teams').syncTeams(this.ref()));
    if (teams === null) {
      this.run.streamNotRun('team_maintainers', 'teams');
      return;
    }
    if (teams.status === 'skipped') return;
    this.run.expect('team_maintainers', teams.keys.length);
    await settleAll(
      teams.keys.map((teamKey) =>
        this.teamWindow.run(() =>
          this.run.scope('team_maintainers', teamKey, () =>
            this.activities(`maintainers of team ${teamKey}`).syncTeamMaintainers({ ...this.ref(), teamKey }),
          ),
        ),
      ),
    );
  }

  private historyIsLong(): boolean {
    const { continueAsNewSuggested, historyLength } = wf.workflowInfo();
    return continueAsNewSuggested || historyLength > (this.options.historyEventLimit ?? Infinity);
  }

  private activities(summary: string) {
    return streamActivities(summary, this.options.maxAttempts);
  }

  private ref() {
    return { runId: this.run.runId as string, connectionId: this.run.connectionId };
  }
}
