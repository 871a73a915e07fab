// The batched upsert of one page's rows into one data table: a single statement that records the
// keys seen (for deletion detection), writes only rows that are new, changed (content hash differs)
// or coming back from deletion, and counts each key once per pass.
import type { PoolClient } from 'pg';
import type { RowCounts } from '../shared';
import type { StreamKey } from './stream-rows';
import { ident, type ColumnRecord, type TableSpec, type TableWrite } from './table-spec';

export interface Batch {
  spec: TableSpec;
  records: ColumnRecord[];
}

/**
 * Checks that every record lies in the stream's scope (deletion detection trusts it) and keeps one
 * record per key, the last: ON CONFLICT cannot touch a row twice in one statement, and deduplicating
 * here rather than in SQL keeps the planner's row estimates (and hash joins) sane.
 */
export function toBatch(key: StreamKey, scopeValues: readonly string[], write: TableWrite): Batch {
  const { spec } = write;
  for (const record of write.records) {
    spec.scope.forEach((column, i) => {
      if (record[column] !== scopeValues[i]) {
        throw new Error(
          `a ${spec.table} row with ${column} "${String(record[column])}" does not belong to stream ${key.stream} scope "${key.scope}"`,
        );
      }
    });
  }
  const byKey = new Map<string, ColumnRecord>();
  for (const record of write.records) byKey.set(JSON.stringify(spec.key.map((column) => record[column])), record);
  return { spec, records: [...byKey.values()] };
}

const upsertSqlCache = new Map<TableSpec, string>();

function upsertSql(spec: TableSpec): string {
  const cached = upsertSqlCache.get(spec);
  if (cached) return cached;
  const keys = spec.key.map(ident);
  const content = spec.columns.map((c) => ident(c.name));
  const recordShape = [
    ...spec.key.map((k) => `${ident(k)} text`),
    ...spec.columns.map((c) => `${ident(c.name)} ${c.type}`),
  ];
  const joinOn = (a: string, b: string): string => keys.map((k) => `${a}.${k} = ${b}.${k}`).join(' AND ');
  const table = `launchdarkly.${ident(spec.table)}`;
  const sql = `
WITH input AS (
  SELECT r.*, md5(e.value::text) AS content_hash
  FROM jsonb_array_elements($5::jsonb) AS e(value)
  CROSS JOIN LATERAL jsonb_to_record(e.value) AS r(${recordShape.join(', ')})
),
seen AS (
  INSERT INTO ldsync.seen_keys (run_id, stream, scope, table_name, key)
  SELECT $2::uuid, $3, $4, '${spec.table}', ARRAY[${keys.map((k) => `i.${k}`).join(', ')}] FROM input i
  ON CONFLICT DO NOTHING
  RETURNING key
),
prior AS (
  -- One primary-key probe per input row, whatever the table's statistics say.
  SELECT ${keys.map((k) => `i.${k}`).join(', ')}, t.content_hash, t.deleted_at
  FROM input i
  CROSS JOIN LATERAL (
    SELECT t.content_hash, t.deleted_at FROM ${table} t
    WHERE t.connection_id = $1 AND ${keys.map((k) => `t.${k} = i.${k}`).join(' AND ')}
  ) t
),
changed AS (
  INSERT INTO ${table} AS t (connection_id, ${[...keys, ...content].join(', ')}, content_hash)
  SELECT $1, ${[...keys, ...content].map((c) => `i.${c}`).join(', ')}, i.content_hash
  FROM input i LEFT JOIN prior p ON ${joinOn('p', 'i')}
  WHERE p.${keys[0]} IS NULL OR p.content_hash <> i.content_hash OR p.deleted_at IS NOT NULL
  ON CONFLICT (connection_id, ${keys.join(', ')}) DO UPDATE SET
    ${content.map((c) => `${c} = excluded.${c}`).join(', ')},
    content_hash = excluded.content_hash,
    updated_at = CASE WHEN t.content_hash = excluded.content_hash THEN t.updated_at ELSE now() END,
    deleted_at = NULL
  WHERE t.content_hash <> excluded.content_hash OR t.deleted_at IS NOT NULL
  RETURNING ${keys.map((k) => `t.${k}`).join(', ')}, (t.xmax = 0) AS was_inserted
)
SELECT
  count(*) FILTER (WHERE s.key IS NOT NULL AND c.${keys[0]} IS NOT NULL AND (c.was_inserted OR p.deleted_at IS NOT NULL))::int AS inserted,
  count(*) FILTER (WHERE s.key IS NOT NULL AND c.${keys[0]} IS NOT NULL AND NOT c.was_inserted AND p.deleted_at IS NULL)::int AS updated,
  count(*) FILTER (WHERE s.key IS NOT NULL AND c.${keys[0]} IS NULL)::int AS unchanged,
  count(s.key)::int AS newly_seen
FROM input i
LEFT JOIN seen s ON s.key = ARRAY[${keys.map((k) => `i.${k}`).join(', ')}]
LEFT JOIN prior p ON ${joinOn('p', 'i')}
LEFT JOIN changed c ON ${joinOn('c', 'i')}`;
  upsertSqlCache.set(spec, sql);
  return sql;
}

/**
 * Postgres' text and jsonb cannot hold U+0000: one such character in a flag's name or description
 * would make Postgres refuse the whole page, on every retry. It is stored as U+FFFD (the replacement
 * character) instead, in keys and values alike, so the page's other items are kept.
 */
function withoutNul(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'string' && value.includes('\u0000')) return value.replaceAll('\u0000', '\uFFFD');
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.some(([k]) => k.includes('\u0000'))) {
      return Object.fromEntries(entries.map(([k, v]) => [k.replaceAll('\u0000', '\uFFFD'), v]));
    }
  }
  return value;
}

/**
 * The page as one JSON text. A replacer puts JSON.stringify on its slow path for every value, so the
 * page is serialised plainly first; JSON escapes U+0000 as `\u0000`, so the text says exactly whether
 * the slow, replacing pass is needed (a literal `\\u0000` only costs that pass, never correctness).
 */
function pageJson(records: ColumnRecord[]): string {
  const text = JSON.stringify(records);
  return text.includes('\\u0000') ? JSON.stringify(records, withoutNul) : text;
}

export async function upsertBatch(
  client: PoolClient,
  key: StreamKey,
  batch: Batch,
): Promise<{ counts: RowCounts; newlySeen: number }> {
  const { rows } = await client.query<{ inserted: number; updated: number; unchanged: number; newly_seen: number }>(
    upsertSql(batch.spec),
    [key.connectionId, key.runId, key.stream, key.scope, pageJson(batch.records)],
  );
  const row = rows[0] ?? { inserted: 0, updated: 0, unchanged: 0, newly_seen: 0 };
  return {
    counts: { inserted: row.inserted, updated: row.updated, unchanged: row.unchanged, deleted: 0 },
    newlySeen: row.newly_seen,
  };
}
