// What a stream module declares, and the builders that turn a declaration into what the generic
// read→write loop (activities/streams.ts, activities/stream-runner.ts) runs: a stream reads pages
// of items from LaunchDarkly, maps each item to rows of one or more tables, and names the keys it
// fans out over.
// Pure declarations: no I/O here. The client does the requests, the database layer the SQL.
import { z } from 'zod';
import type { Cascade, ColumnRecord, SqlType, TableSpec } from '../db/table-spec';
import type { LaunchDarklyClient, ListEndpoint, Page } from '../launchdarkly';
import type { PlannedStream, StreamName } from '../shared';

/** One page of a stream: its items, and the cursor to resume after it (null after the last page). */
export interface StreamPage<Item> {
  items: Item[];
  next: string | null;
}

/** What a stream's reader may use besides its parameters. */
export interface ReadContext {
  client: LaunchDarklyClient;
  signal: AbortSignal;
  /** Live keys stored in a table of this catalog (e.g. the flag keys of a project), sorted. */
  liveKeys(table: TableSpec, column: string, scopeValues: readonly string[]): Promise<string[]>;
}

/** A table a stream writes, with the one mapping from an API item to its rows. */
export interface StreamTable<Item, Params> {
  spec: TableSpec;
  records(item: Item, params: Params): ColumnRecord[];
}

export interface StreamDefinition<Params, Item> {
  name: StreamName;
  /** The Temporal activity type that runs it (contract). */
  activity: string;
  /** The activity's parameters besides the run reference, validated when the activity starts. */
  params: z.ZodType<Params>;
  /** Key columns the scope fixes, and their values: `['project_key']` and `['web']` for project web's flags. */
  scopeColumns: readonly string[];
  scopeOf(params: Params): string[];
  /** For operators: `flags of project "web"`. */
  label(params: Params): string;
  /** Pages after `cursor` (null: from the start). */
  read(params: Params, cursor: string | null, context: ReadContext): AsyncIterable<StreamPage<Item>>;
  /** Tables written, parents first (the order deletions are detected in). */
  tables: readonly StreamTable<Item, Params>[];
  /** How the workflow runs it: summary, the stream it takes keys from, window, child workflows. */
  schedule: StreamSchedule;
  /** Set when other streams take its keys (`schedule.from`): the key column of its first table they are read from. */
  fanOut?: { column: string };
  /** `not_entitled` skips the stream (teams are not in every plan) instead of failing the run. */
  skipWhenNotEntitled?: boolean;
}

/** A stream's part of the run's plan (PlannedStream, without what the definition names already). */
export type StreamSchedule = Omit<PlannedStream, 'stream' | 'activity'>;

/** The parameters of a stream of the whole account (projects, tags, teams): none. */
export type AccountWide = Record<string, never>;

/** Parameters, scope and scope columns of a stream of the whole account: it takes none and has scope ''. */
export const accountWide = {
  params: z.object({}).transform((): AccountWide => ({})),
  scopeColumns: [],
  scopeOf: () => [],
} satisfies Pick<StreamDefinition<AccountWide, unknown>, 'params' | 'scopeColumns' | 'scopeOf'>;

/** The pages of one list endpoint, as stream pages. */
export async function* listPages<T>(
  client: LaunchDarklyClient,
  endpoint: ListEndpoint<T>,
  cursor: string | null,
  signal: AbortSignal,
): AsyncIterable<StreamPage<T>> {
  const pages: AsyncIterable<Page<T>> = client.list(endpoint, { cursor, signal });
  for await (const page of pages) yield { items: page.items, next: page.next };
}

type ColumnValue<Row, Params> = (row: Row, params: Params) => unknown;

export interface TableDeclaration<Item, Params, Row> {
  /** Table name in schema `launchdarkly` (its migration creates it). */
  table: string;
  /** Key columns after connection_id, in primary-key order, scope columns first; always text. */
  key: Record<string, (row: Row, params: Params) => string>;
  /** Non-key columns: SQL type and value. `raw` (jsonb) is the item's JSON minus secrets. */
  columns: Record<string, readonly [SqlType, ColumnValue<Row, Params>]>;
  /** Rows of this table per item (default: the item itself, one row). */
  rowsOf?: (item: Item) => Row[];
  /** Dependents deleted with a row of this table. */
  cascades?: readonly Cascade[];
}

/** Builds a stream table from its declaration; `scopeColumns` must lead its key. */
export function defineTable<Item, Params, Row = Item>(
  scopeColumns: readonly string[],
  declaration: TableDeclaration<Item, Params, Row>,
): StreamTable<Item, Params> {
  const keyColumns = Object.entries(declaration.key);
  const columns = Object.entries(declaration.columns);
  const spec: TableSpec = {
    table: declaration.table,
    key: keyColumns.map(([name]) => name),
    scope: scopeColumns,
    columns: columns.map(([name, [type]]) => ({ name, type })),
    cascades: declaration.cascades ?? [],
  };
  spec.scope.forEach((column, i) => {
    if (spec.key[i] !== column) throw new Error(`table ${spec.table}: the scope columns must lead the key`);
  });
  const rowsOf = declaration.rowsOf ?? ((item: Item) => [item as unknown as Row]);
  return {
    spec,
    records: (item, params) =>
      rowsOf(item).map((row) => {
        const record: ColumnRecord = {};
        for (const [name, value] of keyColumns) record[name] = value(row, params);
        // JSON null and an absent value both become SQL NULL in jsonb_to_record.
        for (const [name, [, value]] of columns) record[name] = value(row, params) ?? null;
        return record;
      }),
  };
}

/** An epoch-milliseconds date as an ISO timestamp for a `timestamptz` column. */
export function isoFromEpochMs(ms: number | null | undefined): string | null {
  return typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}
