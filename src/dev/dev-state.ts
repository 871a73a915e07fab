// `<dataDir>/dev-state.json` tells other ldsync commands (sync, status, connections ...) where the
// running `ldsync dev` stack is. It exists only while `ldsync dev` runs. It may hold a database
// password, so only the owner can read it. This module owns the file: its name, its shape, writing it
// and reading it back.
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

export const DEV_STATE_FILE = 'dev-state.json';

// What `ldsync dev` writes. Readers need only pid and databaseUrl; a file written by hand (tests,
// an older version) may leave the rest out.
const DevStateSchema = z.object({
  pid: z.number().int(),
  databaseUrl: z.string().min(1),
  startedAt: z.string().optional(),
  /** the database came from DATABASE_URL (not the embedded one) */
  databaseFromEnv: z.boolean().optional(),
  temporalAddress: z.string().min(1).optional(),
  namespace: z.string().min(1).optional(),
  uiUrl: z.string().optional(),
  taskQueue: z.string().optional(),
  encryptionKeyFile: z.string().min(1).optional(),
  simulatorUrl: z.string().optional(),
});
export type DevState = z.infer<typeof DevStateSchema>;

export type DevStateLookup =
  { kind: 'live'; state: DevState } | { kind: 'absent' } | { kind: 'stale' } | { kind: 'invalid'; problem: string };

export function devStatePath(dataDir: string): string {
  return path.join(dataDir, DEV_STATE_FILE);
}

/** Written to a temporary file and renamed, so a reader never sees half a file. */
export async function writeDevState(dataDir: string, state: DevState): Promise<void> {
  const file = devStatePath(dataDir);
  const staging = `${file}.${process.pid}.tmp`;
  await fs.writeFile(staging, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await fs.rename(staging, file);
}

/** What the file says, and whether the `ldsync dev` that wrote it still runs. */
export function lookupDevState(dataDir: string): DevStateLookup {
  let text: string;
  try {
    text = readFileSync(devStatePath(dataDir), 'utf8');
  } catch {
    return { kind: 'absent' };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'invalid', problem: 'not JSON' };
  }
  const parsed = DevStateSchema.safeParse(json);
  if (!parsed.success) {
    return { kind: 'invalid', problem: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  }
  // A file left by a killed `ldsync dev` names a database that is no longer running.
  if (!processIsAlive(parsed.data.pid)) return { kind: 'stale' };
  return { kind: 'live', state: parsed.data };
}

/** The state of a running `ldsync dev`, or undefined when none runs (a file left by a killed one is ignored). */
export function readLiveDevState(dataDir: string): DevState | undefined {
  const found = lookupDevState(dataDir);
  return found.kind === 'live' ? found.state : undefined;
}

/** Removes the file if it is this process's. */
export async function removeDevState(dataDir: string): Promise<void> {
  if (readLiveDevState(dataDir)?.pid === process.pid) await fs.rm(devStatePath(dataDir), { force: true });
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
