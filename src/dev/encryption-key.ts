// `ldsync dev` needs a key for stored tokens without asking the user for one: it creates a local
// key once, in a file only the owner can read, and reuses it on every later start (tokens stored
// by an earlier run must stay readable). LDSYNC_ENCRYPTION_KEY, when set, always wins.
import fs from 'node:fs/promises';
import path from 'node:path';
import { generateEncryptionKey } from '../crypto/token-cipher';

/** The local key file in the data directory (the CLI reads it too, when LDSYNC_ENCRYPTION_KEY is unset). */
export const ENCRYPTION_KEY_FILE = 'encryption.key';

export interface DevEncryptionKey {
  key: string;
  /** The local key file, when the key came from one (not from LDSYNC_ENCRYPTION_KEY). */
  file?: string;
}

export async function ensureDevEncryptionKey(dataDir: string, fromEnv: string | undefined): Promise<DevEncryptionKey> {
  if (fromEnv) return { key: fromEnv };
  const file = path.join(dataDir, ENCRYPTION_KEY_FILE);
  await fs.mkdir(dataDir, { recursive: true });
  try {
    // 'wx': never overwrite a key that exists, even if two starts race.
    await fs.writeFile(file, `${generateEncryptionKey()}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return { key: (await fs.readFile(file, 'utf8')).trim(), file };
}
