// The batched upsert of one page's rows into one data table, in two statements: keys and source
// hashes first (records the keys seen for deletion detection, and finds the rows that differ from
// what is stored), then only those rows in full (writes the new, changed and returning ones). Each
// key counts once per pass. A page that changed nothing costs one small statement.
import { createHash } from 'node:crypto';
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

const probeSqlCache = new Map<TableSpec, string>();

/**
 * Step 1, keys and hashes only: records the keys seen (for deletion detection) and answers which rows
 * differ from what is stored: new, changed (source hash differs or is unknown) or coming back from
 * deletion. On a re-sync with no change it is the page's only statement, and no row travels in full.
 */
function probeSql(spec: TableSpec): string {
  const cached = probeSqlCache.get(spec);
  if (cached) return cached;
  const keys = spec.key.map(ident);
  const keyArray = `ARRAY[${keys.map((k) => `i.${k}`).join(', ')}]`;
  const table = `launchdarkly.${ident(spec.table)}`;
  const unnestArgs = [...keys.map((_, n) => `$${n + 5}::text[]`), `$${keys.length + 5}::text[]`];
  const sql = `
WITH input AS (
  SELECT * FROM unnest(${unnestArgs.join(', ')}) WITH ORDINALITY AS i(${keys.join(', ')}, source_hash, n)
),
seen AS (
  INSERT INTO ldsync.seen_keys (run_id, stream, scope, table_name, key)
  SELECT $2::uuid, $3, $4, '${spec.table}', ${keyArray} FROM input i
  ON CONFLICT DO NOTHING
  RETURNING key
),
probe AS (
  SELECT i.n, s.key IS NOT NULL AS newly_seen,
    (t.source_hash IS NULL OR t.source_hash <> i.source_hash OR t.deleted_at IS NOT NULL) AS stale
  FROM input i
  LEFT JOIN seen s ON s.key = ${keyArray}
  -- One primary-key probe per input row, whatever the table's statistics say.
  LEFT JOIN LATERAL (
    SELECT t.source_hash, t.deleted_at FROM ${table} t
    WHERE t.connection_id = $1 AND ${keys.map((k) => `t.${k} = i.${k}`).join(' AND ')}
  ) t ON true
)
SELECT
  coalesce(array_agg(n::int ORDER BY n) FILTER (WHERE stale), '{}') AS stale,
  coalesce(array_agg(newly_seen ORDER BY n) FILTER (WHERE stale), '{}') AS stale_newly_seen,
  count(*) FILTER (WHERE NOT stale AND newly_seen)::int AS unchanged,
  count(*) FILTER (WHERE newly_seen)::int AS newly_seen
FROM probe`;
  probeSqlCache.set(spec, sql);
  return sql;
}

const writeSqlCache = new Map<TableSpec, string>();

/**
 * Step 2, only the rows step 1 found stale, in full: writes those whose content hash differs or that
 * come back from deletion, stores every one's source hash, and counts the newly seen ones. A row whose
 * source hash was unknown but whose content is the same (written before source hashes existed) only
 * gets its hash: unchanged, `updated_at` kept.
 */
function writeSql(spec: TableSpec): string {
  const cached = writeSqlCache.get(spec);
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
  SELECT r.*, md5(e.value::text) AS content_hash, ($3::text[])[e.n] AS source_hash, ($4::bool[])[e.n] AS newly_seen
  FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS e(value, n)
  CROSS JOIN LATERAL jsonb_to_record(e.value) AS r(${recordShape.join(', ')})
),
prior AS (
  SELECT ${keys.map((k) => `i.${k}`).join(', ')}, t.content_hash, t.deleted_at
  FROM input i
  CROSS JOIN LATERAL (
    SELECT t.content_hash, t.deleted_at FROM ${table} t
    WHERE t.connection_id = $1 AND ${keys.map((k) => `t.${k} = i.${k}`).join(' AND ')}
  ) t
),
written AS (
  INSERT INTO ${table} AS t (connection_id, ${[...keys, ...content].join(', ')}, content_hash, source_hash)
  SELECT $1, ${[...keys, ...content].map((c) => `i.${c}`).join(', ')}, i.content_hash, i.source_hash
  FROM input i
  ON CONFLICT (connection_id, ${keys.join(', ')}) DO UPDATE SET
    ${content.map((c) => `${c} = excluded.${c}`).join(', ')},
    content_hash = excluded.content_hash,
    source_hash = excluded.source_hash,
    updated_at = CASE WHEN t.content_hash = excluded.content_hash THEN t.updated_at ELSE now() END,
    deleted_at = NULL
  WHERE t.content_hash <> excluded.content_hash OR t.deleted_at IS NOT NULL
    OR t.source_hash IS DISTINCT FROM excluded.source_hash
  RETURNING ${keys.map((k) => `t.${k}`).join(', ')}, (t.xmax = 0) AS was_inserted
),
classified AS (
  SELECT i.newly_seen,
    w.${keys[0]} IS NOT NULL AND (w.was_inserted OR p.deleted_at IS NOT NULL) AS inserted,
    w.${keys[0]} IS NOT NULL AND NOT w.was_inserted AND p.deleted_at IS NULL AND coalesce(p.content_hash <> i.content_hash, true) AS updated
  FROM input i
  LEFT JOIN prior p ON ${joinOn('p', 'i')}
  LEFT JOIN written w ON ${joinOn('w', 'i')}
)
SELECT
  count(*) FILTER (WHERE newly_seen AND inserted)::int AS inserted,
  count(*) FILTER (WHERE newly_seen AND updated)::int AS updated,
  count(*) FILTER (WHERE newly_seen AND NOT inserted AND NOT updated)::int AS unchanged
FROM classified`;
  writeSqlCache.set(spec, sql);
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

/** One row as JSON text (NUL-free, see withoutNul) and its hash. */
interface RowText {
  text: string;
  hash: string;
}

/**
 * A row's JSON text, and its hash as the row's source hash. A replacer puts JSON.stringify on its slow
 * path for every value, so the row is serialised plainly first; JSON escapes U+0000 as `\u0000`, so the
 * text says exactly whether the slow, replacing pass is needed (a literal `\\u0000` only costs that pass).
 */
function rowText(record: ColumnRecord): RowText {
  const plain = JSON.stringify(record);
  const text = plain.includes('\\u0000') ? JSON.stringify(record, withoutNul) : plain;
  return { text, hash: createHash('md5').update(text).digest('hex') };
}

function nulFree(value: unknown): string {
  const text = String(value);
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}

export async function upsertBatch(
  client: PoolClient,
  key: StreamKey,
  batch: Batch,
): Promise<{ counts: RowCounts; newlySeen: number }> {
  const { spec, records } = batch;
  const rows = records.map(rowText);
  const keyColumns = spec.key.map((column) => records.map((record) => nulFree(record[column])));
  const probe = await client.query<{
    stale: number[];
    stale_newly_seen: boolean[];
    unchanged: number;
    newly_seen: number;
  }>(probeSql(spec), [key.connectionId, key.runId, key.stream, key.scope, ...keyColumns, rows.map((r) => r.hash)]);
  const found = probe.rows[0] ?? { stale: [], stale_newly_seen: [], unchanged: 0, newly_seen: 0 };
  const counts: RowCounts = { inserted: 0, updated: 0, unchanged: found.unchanged, deleted: 0 };
  if (found.stale.length > 0) {
    const stale = found.stale.map((n) => rows[n - 1] as RowText);
    const written = await client.query<{ inserted: number; updated: number; unchanged: number }>(writeSql(spec), [
      key.connectionId,
      `[${stale.map((r) => r.text).join(',')}]`,
      stale.map((r) => r.hash),
      found.stale_newly_seen,
    ]);
    const w = written.rows[0] ?? { inserted: 0, updated: 0, unchanged: 0 };
    counts.inserted = w.inserted;
    counts.updated = w.updated;
    counts.unchanged += w.unchanged;
  }
  return { counts, newlySeen: found.newly_seen };
}
