import type { Pool, PoolClient } from 'pg';

/** Runs `fn` in one transaction on one client: COMMIT if it resolves, ROLLBACK if it throws. */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A connection dropped mid-transaction rejects the pending query; without a listener its 'error'
  // event would also crash the process.
  const onError = () => undefined;
  client.on('error', onError);
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: Error) => (broken = rollbackErr));
    throw err;
  } finally {
    client.off('error', onError);
    // A client that could not roll back is discarded rather than returned to the pool.
    client.release(broken);
  }
}
