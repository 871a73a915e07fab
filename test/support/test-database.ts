// A fresh, migrated database per test file, so test files never see each other's rows and can run
// in parallel against one Postgres server. `adminUrl` must be allowed to CREATE DATABASE.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../src/db/migrate';

export interface IsolatedDatabase {
  url: string;
  drop(): Promise<void>;
}

/** `migrate: false` leaves the database empty (for tests of the migrations themselves). */
export async function createIsolatedDatabase(
  adminUrl: string,
  label: string,
  options: { migrate?: boolean } = {},
): Promise<IsolatedDatabase> {
  const slug = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 30);
  const name = `ldsync_t_${slug || 'db'}_${randomBytes(5).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const drop = (): Promise<void> =>
    withAdmin(adminUrl, async (client) => {
      // FORCE ends connections a test left open (Postgres 13+).
      await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
    });
  try {
    if (options.migrate !== false) await migrate(url.toString());
  } catch (err) {
    await drop().catch(() => undefined);
    throw err;
  }
  return { url: url.toString(), drop };
}

async function withAdmin(adminUrl: string, fn: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}
