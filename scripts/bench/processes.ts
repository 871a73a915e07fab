// Child processes of the bench: every one is tracked so that a normal exit, an error and Ctrl-C all
// stop them (by their own pid, never by name), and read from /proc: RSS and CPU time.
import { type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

const children = new Map<ChildProcess, string>();

export function track(name: string, child: ChildProcess): () => void {
  children.set(child, name);
  child.once('exit', () => children.delete(child));
  return () => children.delete(child);
}

/** Kills every child still running (SIGTERM, then SIGKILL after `graceMs`). */
export async function killChildren(graceMs = 5000): Promise<void> {
  const alive = [...children.keys()].filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(
    alive.map(
      (child) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

/** VmRSS and VmHWM (peak RSS since the process started) of `pid`, in MB; null once it is gone. */
export function procMemory(pid: number): { rssMb: number; hwmMb: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU time of `pid` so far, in ms (0 once it is gone). */
export function procCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** The name of the executable of `pid` (to make sure a pid is node, not a wrapper). */
export function procName(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** Samples VmRSS of `pid` every `everyMs` and keeps the largest value seen since the last `take()`. */
export class RssSampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 200,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
    this.sample();
  }

  sample(): void {
    const m = procMemory(this.pid);
    if (m && m.rssMb > this.peak) this.peak = m.rssMb;
  }

  /** The peak since the previous take (or the start), then starts a new phase. */
  take(): number {
    this.sample();
    const peak = this.peak;
    this.peak = procMemory(this.pid)?.rssMb ?? 0;
    return peak;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Machine facts for the report: cores, load average, memory, time. */
export function machine(): { nproc: number; loadavg: number[]; memTotalMb: number; cpu: string; node: string } {
  const cpuinfo = safeRead('/proc/cpuinfo');
  const cpu = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown';
  const mem = /^MemTotal:\s+(\d+) kB/m.exec(safeRead('/proc/meminfo'))?.[1];
  const load = safeRead('/proc/loadavg').split(' ').slice(0, 3).map(Number);
  return {
    nproc: (cpuinfo.match(/^processor\s*:/gm) ?? []).length,
    loadavg: load,
    memTotalMb: mem ? Math.round(Number(mem) / 1024) : 0,
    cpu,
    node: process.version,
  };
}

function safeRead(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
