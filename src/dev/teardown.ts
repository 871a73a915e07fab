// Things started in order are stopped in reverse: each start registers its stop here right away,
// so a failure halfway through a start-up still stops what had already started.

export interface TeardownFailure {
  name: string;
  error: unknown;
}

export class Teardown {
  private readonly steps: Array<{ name: string; stop: () => Promise<void> | void }> = [];
  private running: Promise<TeardownFailure[]> | undefined;

  add(name: string, stop: () => Promise<void> | void): void {
    this.steps.push({ name, stop });
  }

  /** Runs every step once, newest first; a failing step does not keep the others from running. */
  run(onStep?: (name: string) => void): Promise<TeardownFailure[]> {
    this.running ??= (async () => {
      const failures: TeardownFailure[] = [];
      for (let step = this.steps.pop(); step; step = this.steps.pop()) {
        onStep?.(step.name);
        try {
          await step.stop();
        } catch (error) {
          failures.push({ name: step.name, error });
        }
      }
      return failures;
    })();
    return this.running;
  }
}
