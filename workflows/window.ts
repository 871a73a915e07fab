// A bounded window of concurrent work inside a workflow. Slots are handed out in arrival order the
// moment one frees up, so two waiters woken in the same activation can never both take the last one.
// Waiting is a `condition`, so a cancelled scope stops waiting at once.
import { condition } from '@temporalio/workflow';

export class Window {
  private active = 0;
  private nextTicket = 0;
  private readonly queue: number[] = [];
  private readonly granted = new Set<number>();

  constructor(private readonly size: number) {}

  /** Waits for a slot; the returned function gives it back (call it exactly once). */
  async enter(): Promise<() => void> {
    const ticket = this.nextTicket++;
    this.queue.push(ticket);
    this.grant();
    try {
      await condition(() => this.granted.has(ticket));
    } catch (err) {
      const queued = this.queue.indexOf(ticket);
      if (queued >= 0) this.queue.splice(queued, 1);
      else this.leave(ticket);
      throw err;
    }
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.leave(ticket);
    };
  }

  /** Waits for a slot, then runs `fn` in it. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const leave = await this.enter();
    try {
      return await fn();
    } finally {
      leave();
    }
  }

  private grant(): void {
    while (this.active < this.size && this.queue.length > 0) {
      this.granted.add(this.queue.shift() as number);
      this.active += 1;
    }
  }

  private leave(ticket: number): void {
    if (!this.granted.delete(ticket)) return;
    this.active -= 1;
    this.grant();
  }
}
