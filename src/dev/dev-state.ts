// `<dataDir>/dev-state.json` tells other ldsync commands (sync, status, connections ...) where the
// running `ldsync dev` stack is. It exists only while `ldsync dev` runs. It may hold a database
// password, so only the owner can read it.
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { DEV_STATE_FILE, processIsAlive } from '../cli/context';

const DevStateSchema = z.object({
  pid: z.number().int(),
  startedAt: z.string(),
  databaseUrl: z.string(),
  /** the database came from DATABASE_URL (not the embedded one) */
  databaseFromEnv: z.boolean().optional(),
  temporalAddress: z.string(),
  namespace: z.string(),
  uiUrl: z.string(),
  taskQueue: z.string(),
  encryptionKeyFile: z.string().optional(),
  simulatorUrl: z.string().optional(),
});
export type DevState = z.infer<typeof DevStateSchema>;

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

/** The state of a running `ldsync dev`, or undefined when none runs (a file left by a killed one is ignored). */
export async function readLiveDevState(dataDir: string): Promise<DevState | undefined> {
  let text: string;
  try {
    text = await fs.readFile(devStatePath(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = DevStateSchema.safeParse(parseJson(text));
  if (!parsed.success || !processIsAlive(parsed.data.pid)) return undefined;
  return parsed.data;
}

/** Removes the file if it is this process's. */
export async function removeDevState(dataDir: string): Promise<void> {
  const state = await readLiveDevState(dataDir);
  if (state?.pid === process.pid) await fs.rm(devStatePath(dataDir), { force: true });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
