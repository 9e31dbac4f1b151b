import { sql, type SQL } from 'drizzle-orm';
import { storableJson } from '../pipeline/intake/storable.js';

/**
 * One bound parameter holding a whole array. drizzle's `sql` template would otherwise spread an array
 * into one parameter per element, which is slow and breaks past Postgres' row-expression limit.
 */
export function arrayParam(values: readonly unknown[], pgType: 'int' | 'text' | 'date' | 'timestamptz' | 'real' | 'bool'): SQL {
  // postgres.js cannot serialize a parameter it infers as date[]/timestamptz[]; they travel as text[].
  if (pgType === 'date' || pgType === 'timestamptz') return sql`${sql.param(values)}::text[]::${sql.raw(pgType)}[]`;
  // ...and it sends a boolean array as one boolean.
  if (pgType === 'bool') return sql`${sql.param(values.map((v) => (v == null ? null : v ? 't' : 'f')))}::text[]::bool[]`;
  // Numbers need no quoting: one joined literal skips postgres.js's per-element quoting and escaping
  // (identify's link insert: 10–30% less client CPU, slightly less to parse; bench/bulkParams.ts).
  // Anything else takes the general path.
  if ((pgType === 'int' || pgType === 'real') && values.every((v) => v == null || typeof v === 'number')) {
    return sql`${sql.param(`{${values.map((v) => (v == null ? 'NULL' : String(v))).join(',')}}`)}::${sql.raw(pgType)}[]`;
  }
  return sql`${sql.param(values)}::${sql.raw(pgType)}[]`;
}

/**
 * Rows as one jsonb parameter, read back by `jsonb_to_recordset`: `as` names the alias and its typed
 * columns (`u(rec int, evidence jsonb)`), each matched by key; a null or missing key is SQL null. For
 * batch writes with text or JSON columns it costs less than one postgres.js text array per column,
 * whose per-element quoting and escaping (JSON texts are full of quotes) was identify's largest
 * serialization cost: a 2,000-row link insert 11.4 → 3.1 µs client CPU per record, Postgres 5.2 → 8.8,
 * 34.9 → 22.3 ms a batch (bench/bulkParams.ts). Strings pass storableJson (no NUL, no lone surrogate).
 */
export function jsonRecordset(records: readonly object[], as: string): SQL {
  return sql`jsonb_to_recordset(${storableJson(records)}::jsonb) as ${sql.raw(as)}`;
}

/** JSON values travel as text and are cast to jsonb in SQL, so nulls stay SQL nulls (and NUL or a lone surrogate cannot fail the cast). */
export function jsonTexts(values: readonly unknown[]): (string | null)[] {
  return values.map((v) => (v == null ? null : storableJson(v)));
}
