// The stream catalog (src/streams) against itself and against the migrated schema: every declared
// table exists with the declared key, columns and types, cascades name real dependents, fan-outs
// name key columns, and every stream has its activity. This is the check the "add a stream" recipe
// in the README relies on: a module that disagrees with its migration fails here, not in a sync.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createStreamActivities } from '../activities/streams';
import { STREAMS } from '../src/shared';
import { CATALOG, DATA_TABLE_SPECS, DATA_TABLES } from '../src/streams';
import { adminDatabaseUrl } from './db-helpers';
import { createIsolatedDatabase, type IsolatedDatabase } from './support/test-database';

describe('the stream catalog', () => {
  test('declares every stream of the contract, once, under its own name', () => {
    assert.deepEqual(Object.keys(CATALOG).sort(), [...STREAMS].sort());
    for (const [name, definition] of Object.entries(CATALOG)) assert.equal(definition.name, name);
    assert.equal(new Set(DATA_TABLES).size, DATA_TABLES.length, 'a table belongs to one stream');
  });

  test('every stream has its activity, and nothing else is a stream activity', () => {
    const activities = createStreamActivities({ pool: null as never, cipher: null as never });
    assert.deepEqual(
      Object.values(CATALOG)
        .map((d) => d.activity)
        .sort(),
      Object.keys(activities).sort(),
    );
  });

  test('scopes lead keys; cascades and fan-outs name key columns of real tables', () => {
    for (const definition of Object.values(CATALOG)) {
      for (const { spec } of definition.tables) {
        assert.deepEqual(spec.scope, definition.scopeColumns, `${spec.table}: the stream's scope`);
        assert.deepEqual(spec.key.slice(0, spec.scope.length), [...spec.scope], `${spec.table}: scope leads the key`);
        for (const cascade of spec.cascades) {
          const child = DATA_TABLE_SPECS.find((s) => s.table === cascade.child);
          assert.ok(child, `${spec.table} cascades to ${cascade.child}, which no stream writes`);
          for (const column of cascade.match) {
            assert.ok(spec.key.includes(column), `${spec.table} → ${cascade.child}: ${column} is not a parent key`);
            assert.ok(child.key.includes(column), `${spec.table} → ${cascade.child}: ${column} is not a child key`);
          }
        }
      }
      if (definition.fanOut) {
        const [first] = definition.tables;
        assert.ok(first?.spec.key.includes(definition.fanOut.column), `${definition.name}: fan-out column`);
        for (const fed of definition.fanOut.feeds) assert.ok(fed in CATALOG, `${definition.name} feeds ${fed}`);
      }
    }
  });
});

describe('the stream catalog against the migrated schema', () => {
  let db: IsolatedDatabase;
  let pool: pg.Pool;

  before(async () => {
    db = await createIsolatedDatabase(adminDatabaseUrl(), 'streams_catalog');
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
  });

  after(async () => {
    await pool?.end();
    await db?.drop();
  });

  test('every declared table exists with its primary key, columns and types', async () => {
    const typeNames: Record<string, string> = {
      text: 'text',
      'text[]': '_text',
      boolean: 'bool',
      integer: 'int4',
      timestamptz: 'timestamptz',
      jsonb: 'jsonb',
    };
    for (const spec of DATA_TABLE_SPECS) {
      const { rows: columns } = await pool.query<{ column_name: string; udt_name: string }>(
        `SELECT column_name, udt_name FROM information_schema.columns WHERE table_schema = 'launchdarkly' AND table_name = $1`,
        [spec.table],
      );
      assert.ok(columns.length > 0, `no table launchdarkly.${spec.table}: add its migration`);
      const typeOf = new Map(columns.map((c) => [c.column_name, c.udt_name]));
      for (const column of spec.key) assert.equal(typeOf.get(column), 'text', `${spec.table}.${column}`);
      for (const column of spec.columns) {
        assert.equal(typeOf.get(column.name), typeNames[column.type], `${spec.table}.${column.name}`);
      }
      for (const bookkeeping of ['connection_id', 'content_hash', 'deleted_at', 'updated_at']) {
        assert.ok(typeOf.has(bookkeeping), `${spec.table} lacks ${bookkeeping}`);
      }
      const { rows: pk } = await pool.query<{ column: string }>(
        `SELECT a.attname AS column
         FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
         WHERE i.indrelid = $1::regclass AND i.indisprimary
         ORDER BY array_position(i.indkey, a.attnum)`,
        [`launchdarkly.${spec.table}`],
      );
      assert.deepEqual(
        pk.map((r) => r.column),
        ['connection_id', ...spec.key],
        `${spec.table}: primary key`,
      );
    }
  });
});
