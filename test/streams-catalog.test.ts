// The stream catalog (src/streams) against itself and against the migrated schema: every declared
// table exists with the declared key, columns and types, cascades name real dependents, fan-outs
// name key columns, every stream has its activity, and the plan the workflow runs is one it can run. This is the check the "add a stream" recipe
// in the README relies on: a module that disagrees with its migration fails here, not in a sync.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createStreamActivities } from '../activities/streams';
import { STREAMS } from '../src/shared';
import { CATALOG, DATA_TABLE_SPECS, DATA_TABLES, SYNC_PLAN } from '../src/streams';
import { planOf } from '../src/streams/plan';
import { TABLES as HARNESS_TABLES } from './support/sync-harness';
import { adminDatabaseUrl } from './db-helpers';
import { createIsolatedDatabase, type IsolatedDatabase } from './support/test-database';

describe('the stream catalog', () => {
  test('declares every stream of the contract, once, under its own name', () => {
    assert.deepEqual(Object.keys(CATALOG).sort(), [...STREAMS].sort());
    for (const [name, definition] of Object.entries(CATALOG)) assert.equal(definition.name, name);
    assert.equal(new Set(DATA_TABLES).size, DATA_TABLES.length, 'a table belongs to one stream');
  });

  test("the sync tests' table list covers every table: a new stream's rows are checked, never skipped", () => {
    // test/support/sync-harness.ts keeps its own typed list, with each table's expected count from the
    // simulator: a new stream adds its table and that count there.
    assert.deepEqual([...HARNESS_TABLES].sort(), [...DATA_TABLES].sort());
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
      }
    }
  });
});

describe('the plan syncConnection runs', () => {
  const ref = { runId: 'run-1', connectionId: 'acme' };

  test('today: projects, tags and teams for the account; the rest by the keys above them', () => {
    assert.deepEqual(
      SYNC_PLAN.map((s) => [s.stream, s.from ? `${s.from.stream}.${s.from.param}${s.from.each ? ' each' : ''}` : '']),
      [
        ['projects', ''],
        ['environments', 'projects.projectKey each'],
        ['flags', 'environments.environmentKeys'],
        ['flag_statuses', 'environments.environmentKey each'],
        ['tags', ''],
        ['teams', ''],
        ['team_maintainers', 'teams.teamKey each'],
      ],
    );
  });

  test("every scope the plan starts is one its stream's activity accepts, under the scope the workflow names", () => {
    // The parameters the workflow builds (workflows/catalog-plan.ts): the parent's, plus its key or keys.
    const sample = new Map<string, Record<string, string | string[]>>();
    for (const step of SYNC_PLAN) {
      const parent = step.from ? sample.get(step.from.stream) : {};
      assert.ok(parent, `${step.stream}: its parent comes first`);
      const params = step.from ? { ...parent, [step.from.param]: step.from.each ? 'k1' : ['k1', 'k2'] } : {};
      sample.set(step.stream, params);
      const definition = CATALOG[step.stream];
      const parsed = definition.params.safeParse({ ...ref, ...params });
      assert.ok(parsed.success, `${step.stream} rejects ${JSON.stringify(params)}`);
      const workflowScope = Object.values(params).filter((v) => typeof v === 'string');
      assert.deepEqual(definition.scopeOf(parsed.data), workflowScope, `${step.stream}: scope`);
      for (const [, name] of step.summary.matchAll(/\{(\w+)\}/g)) {
        assert.equal(typeof params[name!], 'string', `${step.stream}: summary names {${name}}`);
      }
      if (step.from) assert.ok(CATALOG[step.from.stream].fanOut, `${step.from.stream} names its fan-out column`);
    }
  });

  test('a plan the workflow cannot run is refused when the worker loads it', () => {
    const base = CATALOG.team_maintainers;
    const withSchedule = (schedule: (typeof base)['schedule']) => ({
      ...CATALOG,
      team_maintainers: { ...base, schedule },
    });
    assert.throws(
      () => planOf(withSchedule({ summary: 'x', from: { stream: 'tags', param: 'tag', each: true } })),
      /declares no fanOut/,
    );
    assert.throws(
      () =>
        planOf({
          ...CATALOG,
          teams: {
            ...CATALOG.teams,
            schedule: { summary: 'teams', from: { stream: 'team_maintainers', param: 'k', each: true } },
          },
        }),
      /come from itself|declares no fanOut/,
    );
    assert.throws(
      () =>
        planOf(
          withSchedule({ summary: 'x', from: { stream: 'teams', param: 'teamKey', each: true }, carriesOver: true }),
        ),
      /at most one fan-out carries over/,
    );
    assert.throws(
      () =>
        planOf({
          ...CATALOG,
          tags: { ...CATALOG.tags, schedule: { summary: 'tags', window: { option: 'teamWindow', size: 4 } } },
        }),
      /whole account/,
    );
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
      for (const bookkeeping of ['connection_id', 'content_hash', 'source_hash', 'deleted_at', 'updated_at']) {
        assert.ok(typeOf.has(bookkeeping), `${spec.table} lacks ${bookkeeping}`);
      }
      const { rows: triggers } = await pool.query(
        `SELECT 1 FROM pg_trigger WHERE tgrelid = $1::regclass AND tgname = 'forget_stale_source_hash'`,
        [`launchdarkly.${spec.table}`],
      );
      assert.equal(triggers.length, 1, `${spec.table} lacks the forget_stale_source_hash trigger (migration 0005)`);
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
