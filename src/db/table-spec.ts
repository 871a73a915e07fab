// What the database layer needs to know of a data table in schema `launchdarkly` to upsert rows,
// detect deletions and cascade them. The stream modules (src/streams) declare these; the writer
// builds its SQL from them. Identifiers come from code, never from input, and are checked anyway.

/** The SQL types a data column may have. Key columns are always `text`. */
export type SqlType = 'text' | 'text[]' | 'boolean' | 'integer' | 'timestamptz' | 'jsonb';

export interface ColumnSpec {
  name: string;
  type: SqlType;
}

/** Rows of `child` whose `match` columns equal a deleted parent row's are deleted with it. */
export interface Cascade {
  child: string;
  match: readonly string[];
}

export interface TableSpec {
  /** Table name in schema `launchdarkly`. */
  table: string;
  /** Natural key after connection_id, in primary-key order. */
  key: readonly string[];
  /** The leading key columns whose values the stream's scope fixes (`<project>/<environment>` → 2). */
  scope: readonly string[];
  /** Non-key columns with their SQL types; `raw jsonb` included. */
  columns: readonly ColumnSpec[];
  /** Tables whose rows depend on this one's: deleting a row here deletes them too. */
  cascades: readonly Cascade[];
}

/** Column values keyed by column name, ready for `jsonb_to_record`. */
export type ColumnRecord = Record<string, unknown>;

/** Rows for one table, as column records. */
export interface TableWrite {
  spec: TableSpec;
  records: ColumnRecord[];
}

const IDENTIFIER = /^[a-z][a-z0-9_]*$/;

/** Throws unless every name in the spec is a plain lower-case SQL identifier. */
export function assertTableSpec(spec: TableSpec): void {
  const names = [spec.table, ...spec.key, ...spec.columns.map((c) => c.name), ...spec.cascades.map((c) => c.child)];
  for (const name of names) {
    if (!IDENTIFIER.test(name)) throw new Error(`table spec ${spec.table}: "${name}" is not a plain identifier`);
  }
  spec.scope.forEach((column, i) => {
    if (spec.key[i] !== column) throw new Error(`table spec ${spec.table}: scope must be a prefix of the key`);
  });
}

/** `"name"`: a checked identifier, quoted (`on` is a keyword). */
export function ident(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`"${name}" is not a plain identifier`);
  return `"${name}"`;
}
