// Version 1's window, frozen with ./sync-connection.ts.
import { condition } from '@temporalio/workflow';

export class Window {
  private active = 0;

  constructor(private readonly size: number) {}

  hasRoom(): boolean {
    return this.active < this.size;
  }

  /** Waits for a free slot, then runs `fn` in it. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await condition(() => this.hasRoom());
    this.active += 1;
    try {
      return await fn();
    } finally {
      this.active -= 1;
    }
  }
}
