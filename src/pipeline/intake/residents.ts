import { hash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { rows, type Tx } from '../../db/client.js';
import { quarantineOnce } from './quarantineOnce.js';
import { arrayParam, jsonTexts } from '../../db/sqlArrays.js';
import { storableJson } from './storable.js';
import { noteBulkWrite } from '../../db/statistics.js';
import { regionDigits } from '../../config/regionCode.js';
import type { PipelineContext } from '../context.js';
import { recordError, type RecordError } from '../validate/recordError.js';
import { checkResident, type Resident, type ResidentCheck, type ResidentInput } from '../validate/resident.js';

export type { ResidentInput } from '../validate/resident.js';

export interface IngestOptions {
  channel: 'opendk' | 'import' | 'pull' | 'push';
  /** 10-digit village codes the caller may write; null: any village of the kabupaten. */
  allowedVillages: Set<string> | null;
  apiKeyId?: number;
  sourceId?: string;
  idempotencyKey?: string;
  /** requestHash of the body, kept with the Idempotency-Key. */
  requestHash?: string;
  /** Stored as the inbox payload; defaults to the inputs. */
  raw?: unknown;
  /** The answer for the sender, stored in the same transaction so an Idempotency-Key replay always finds it. */
  answer?: (result: IngestResult) => unknown;
  /** checkResident of each input when the caller has already run it (with the same allowedVillages). */
  checks?: ResidentCheck[];
}

export interface IngestRecordResult {
  index: number;
  localId: string;
  villageCode: string | null;
  /** refused: outside the sender's scope, answered but not kept anywhere (that village did not send it). */
  status: 'created' | 'updated' | 'unchanged' | 'quarantined' | 'refused';
  id?: number;
  quarantineId?: number;
  errors?: RecordError[];
  warnings?: RecordError[];
}

export interface IngestResult {
  inboxId: number;
  created: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  refused: number;
  records: IngestRecordResult[];
}

/** Stored columns, in one place for insert, update and diff. */
const COLUMNS = [
  ['nik', 'nik', 'text'], ['kk', 'kk', 'text'], ['full_name', 'fullName', 'text'], ['sex', 'sex', 'text'],
  ['birth_date', 'birthDate', 'date'], ['birth_place', 'birthPlace', 'text'], ['mother_name', 'motherName', 'text'],
  ['father_name', 'fatherName', 'text'], ['address', 'address', 'text'], ['dusun', 'dusun', 'text'], ['rt', 'rt', 'text'],
  ['rw', 'rw', 'text'], ['religion', 'religion', 'int'], ['marital_status', 'maritalStatus', 'int'],
  ['family_role', 'familyRole', 'int'], ['occupation', 'occupation', 'int'], ['education', 'education', 'int'],
  ['status_dasar', 'statusDasar', 'int'], ['state', 'state', 'text'], ['source_updated_at', 'sourceUpdatedAt', 'timestamptz'],
  ['temporary_nik', 'temporaryNik', 'text'],
] as const satisfies readonly (readonly [string, keyof Resident, 'text' | 'int' | 'date' | 'timestamptz'])[];

/** A change in these fields can change who the record is, so identity is decided again. */
const IDENTITY_FIELDS: (keyof Resident)[] = ['nik', 'kk', 'fullName', 'sex', 'birthDate', 'birthPlace', 'motherName'];

function extraOf(r: Resident): Record<string, unknown> | null {
  return r.citizenship == null ? r.extra : { ...(r.extra ?? {}), citizenship: r.citizenship };
}

function hashOf(r: Resident): string {
  let text = '';
  for (const [, field] of COLUMNS) if (field !== 'sourceUpdatedAt' && field !== 'temporaryNik') text += `${r[field] ?? ''}\u0001`;
  // Appended only when present, so the hashes of records stored before the column existed stay the same.
  if (r.temporaryNik) text += `t${r.temporaryNik}\u0001`;
  return hash('sha1', text + JSON.stringify(extraOf(r)));
}

interface Existing { id: number; village_code: string; local_id: string; content_hash: string; state: string; deleted_at: Date | null; [col: string]: unknown }

/**
 * The rows as one JSON array of the Resident objects themselves (no copies: this runs for every row),
 * read on the server by json_to_recordset with the column list below. One parameter that
 * JSON.stringify writes natively, where twenty-odd text arrays were escaped in JS.
 */
function rowsJson(list: { r: Resident; hash: string; id?: number }[]): string {
  return storableJson(list.map(({ r, hash, id }) => Object.assign(r as Resident & { contentHash?: string; id?: number }, { contentHash: hash, id })));
}

/** extraOf in SQL: citizenship travels in extra. */
const EXTRA = sql.raw(`case when u.citizenship is null then u.extra else coalesce(u.extra, '{}') || jsonb_build_object('citizenship', u.citizenship) end`);
const RECORDSET = sql.raw(`u("villageCode" text, "localId" text, ${COLUMNS.map(([, f, t]) => `"${f}" ${t}`).join(', ')}, extra jsonb, warnings jsonb, citizenship int, "contentHash" text, id int)`);
const COLUMN_LIST = sql.raw(COLUMNS.map(([c]) => c).join(', '));
const VALUE_LIST = sql.raw(COLUMNS.map(([, f]) => `u."${f}"`).join(', '));

async function insertResidents(tx: Tx, list: { r: Resident; hash: string }[], opts: IngestOptions, inboxId: number): Promise<number[]> {
  const made = await rows<{ id: number; village_code: string; local_id: string }>(tx, sql`
    insert into resident_records (village_code, local_id, ${COLUMN_LIST}, extra, warnings, content_hash, channel, source_id, inbox_id)
    select u."villageCode", u."localId", ${VALUE_LIST}, ${EXTRA}, u.warnings, u."contentHash", ${opts.channel}, ${opts.sourceId ?? null}, ${inboxId}
    from json_to_recordset(${rowsJson(list)}::json) as ${RECORDSET}
    returning id, village_code, local_id`);
  const ids = new Map(made.map((m) => [`${m.village_code}/${m.local_id}`, m.id]));
  return list.map(({ r }) => ids.get(`${r.villageCode}/${r.localId}`)!);
}

async function updateResidents(tx: Tx, list: { id: number; r: Resident; hash: string; reidentify: boolean }[], opts: IngestOptions): Promise<void> {
  const sets = COLUMNS.map(([c, f]) => sql.raw(`${c} = u."${f}"`));
  const reidentify = list.filter((x) => x.reidentify).map((x) => x.id);
  await tx.execute(sql`
    update resident_records t set ${sql.join(sets, sql`, `)}, extra = ${EXTRA}, warnings = u.warnings, content_hash = u."contentHash",
      channel = ${opts.channel}, source_id = coalesce(${opts.sourceId ?? null}, t.source_id),
      status = case when t.id = any(${arrayParam(reidentify, 'int')}) then 'accepted' else t.status end, deleted_at = null, updated_at = now()
    from json_to_recordset(${rowsJson(list)}::json) as ${RECORDSET}
    where t.id = u.id`);
}

function fieldValue(row: Existing, col: string): unknown {
  const v = row[col];
  if (v instanceof Date) return col === 'birth_date' ? v.toISOString().slice(0, 10) : v.toISOString();
  return v ?? null;
}

/** A record naming a village outside the sender's scope is refused, not quarantined: no village's staff should see it. */
function outOfScope(errors: RecordError[]): boolean {
  return errors.some((e) => e.code === 'VILLAGE_OUT_OF_SCOPE');
}

/** The village a quarantined row is filed under, where that village's staff will see it. */
function quarantineVillage(r: IngestRecordResult, input: ResidentInput): string | null {
  const named = r.villageCode ?? regionDigits(String(input.villageCode ?? ''));
  return named && named.length === 10 ? named : null;
}

/**
 * Takes a page or file of population records in one transaction: one inbox row, every record
 * validated, valid ones upserted on (village, village resident id) — a resend is `unchanged`, a change
 * is written with its history — invalid ones quarantined with their raw input and errors. When it
 * returns, the whole page is committed; identity work is then enqueued (ids only).
 */
export async function ingestResidents(ctx: PipelineContext, inputs: ResidentInput[], opts: IngestOptions): Promise<IngestResult> {
  const today = new Date().toISOString().slice(0, 10);
  const checks = opts.checks ? [...opts.checks] : inputs.map((i) => checkResident(i, ctx.config, opts.allowedVillages, today));
  const seen = new Set<string>();
  for (let i = checks.length - 1; i >= 0; i--) {
    const c = checks[i]!;
    if (!c.ok) continue;
    const key = `${c.value.villageCode}/${c.value.localId}`;
    // The later row of a duplicated id is the one kept; the earlier one is not silently dropped.
    if (seen.has(key)) checks[i] = { ok: false, localId: c.value.localId, villageCode: c.value.villageCode, errors: [recordError('LOCAL_ID_DUPLICATE', 'localId', c.value.localId)] };
    seen.add(key);
  }
  const villages = new Set(checks.map((c) => (c.ok ? c.value.villageCode : c.villageCode)).filter(Boolean));
  const inboxVillage = villages.size === 1 ? [...villages][0]! : null;

  const result = await ctx.db.transaction(async (tx) => {
    const [inbox] = await rows<{ id: number }>(tx, sql`
      insert into inbox (channel, kind, village_code, api_key_id, source_id, idempotency_key, request_hash, record_count, payload)
      values (${opts.channel}, 'resident', ${inboxVillage}, ${opts.apiKeyId ?? null}, ${opts.sourceId ?? null},
              ${opts.idempotencyKey ?? null}, ${opts.requestHash ?? null}, ${inputs.length}, ${storableJson(opts.raw ?? inputs)}::json)
      returning id`);
    const inboxId = inbox!.id;
    const records: IngestRecordResult[] = checks.map((c, index) => (c.ok
      ? { index, localId: c.value.localId, villageCode: c.value.villageCode, status: 'unchanged', ...(c.warnings.length ? { warnings: c.warnings } : {}) }
      : { index, localId: c.localId, villageCode: c.villageCode, status: outOfScope(c.errors) ? 'refused' : 'quarantined', errors: c.errors }));

    const valid = checks.flatMap((c, index) => (c.ok ? [{ index, r: Object.assign(c.value, { warnings: c.warnings.length ? c.warnings : null }) }] : []));
    const hashes = valid.map((v) => hashOf(v.r));
    // Keys and hashes first: in a re-pull most rows are unchanged, and only changed ones need their columns.
    // One index probe per row (lateral): a join let the planner hash the whole table for every page.
    const existing = new Map<string, Pick<Existing, 'id' | 'content_hash' | 'deleted_at'>>();
    if (valid.length) {
      for (const e of await rows<Existing>(tx, sql`
        select t.* from unnest(${arrayParam(valid.map((v) => v.r.villageCode), 'text')}, ${arrayParam(valid.map((v) => v.r.localId), 'text')}) as k(v, l)
        cross join lateral (select id, village_code, local_id, content_hash, deleted_at from resident_records
          where village_code = k.v::bpchar and local_id = k.l for update) t`)) {
        existing.set(`${e.village_code}/${e.local_id}`, e);
      }
    }
    const fresh: { index: number; r: Resident; hash: string }[] = [];
    const differing: { v: (typeof valid)[number]; id: number; hash: string }[] = [];
    valid.forEach((v, i) => {
      const e = existing.get(`${v.r.villageCode}/${v.r.localId}`);
      if (!e) { fresh.push({ ...v, hash: hashes[i]! }); return; }
      records[v.index]!.id = e.id;
      if (e.content_hash !== hashes[i] || e.deleted_at) differing.push({ v, id: e.id, hash: hashes[i]! });
    });
    const before = new Map(differing.length ? (await rows<Existing>(tx, sql`
      select * from resident_records where id = any(${arrayParam(differing.map((d) => d.id), 'int')})`)).map((e) => [e.id, e]) : []);
    const changed: { index: number; id: number; r: Resident; hash: string; reidentify: boolean; diff: Record<string, [unknown, unknown]>; change: string }[] = [];
    for (const { v, id, hash } of differing) {
      const e = before.get(id)!;
      const diff: Record<string, [unknown, unknown]> = {};
      for (const [col, field] of COLUMNS) {
        if (field === 'sourceUpdatedAt') continue;
        const before = fieldValue(e, col);
        const after = v.r[field] ?? null;
        if (String(before ?? '') !== String(after ?? '')) diff[field] = [before, after];
      }
      const reidentify = IDENTITY_FIELDS.some((f) => f in diff);
      const change = e.deleted_at ? 'restored' : 'state' in diff ? 'state' : 'updated';
      changed.push({ index: v.index, id, r: v.r, hash, reidentify, diff, change });
    }

    const newIds = await insertResidents(tx, fresh, opts, inboxId);
    fresh.forEach((f, i) => { records[f.index]!.status = 'created'; records[f.index]!.id = newIds[i]!; });
    if (changed.length) {
      await updateResidents(tx, changed, opts);
      for (const c of changed) records[c.index]!.status = 'updated';
    }
    // A new record's creation is the row itself (created_at, inbox_id); history holds what changed after,
    // so a first pull of a whole population does not write every row twice.
    const history = changed.map((c) => ({ id: c.id, change: c.change, diff: c.diff as unknown }));
    if (history.length) {
      await tx.execute(sql`
        insert into resident_history (resident_id, change, diff, inbox_id)
        select u.id, u.change, u.diff::jsonb, ${inboxId}
        from unnest(${arrayParam(history.map((h) => h.id), 'int')}, ${arrayParam(history.map((h) => h.change), 'text')},
          ${arrayParam(jsonTexts(history.map((h) => h.diff)), 'text')}) as u(id, change, diff)`);
    }

    const bad = records.filter((r) => r.status === 'quarantined');
    if (bad.length) {
      const ids = await quarantineOnce(tx, inboxId, 'resident', bad.map((b) => ({
        villageCode: quarantineVillage(b, inputs[b.index]!), externalId: b.localId || null, payload: inputs[b.index], errors: b.errors ?? [],
      })));
      bad.forEach((b, i) => { b.quarantineId = ids[i]!; });
    }
    const summary = {
      inboxId,
      created: fresh.length,
      updated: changed.length,
      unchanged: records.filter((r) => r.status === 'unchanged').length,
      quarantined: bad.length,
      refused: records.filter((r) => r.status === 'refused').length,
    };
    const response = opts.answer ? { ...summary, hubAnswer: opts.answer({ ...summary, records }) } : summary;
    await tx.execute(sql`update inbox set response = ${storableJson(response)}::jsonb where id = ${inboxId}`);
    return { ...summary, records, toIdentify: [...newIds, ...changed.filter((c) => c.reidentify).map((c) => c.id)] };
  });
  const { toIdentify, ...out } = result;
  noteBulkWrite(ctx.db, 'resident_records', out.created + out.updated, ctx.log);
  noteBulkWrite(ctx.db, 'inbox', 1, ctx.log);
  try {
    await ctx.queues.enqueue('identify', toIdentify, `in${out.inboxId}`, 'resident');
  } catch (err) {
    ctx.log.warn({ err, inboxId: out.inboxId }, 'enqueue failed; left to the recovery sweep');
  }
  return out;
}

/** OpenSID's deletions (log_hapus_penduduk): the record is marked deleted with history, never removed. */
export async function deleteResidents(ctx: PipelineContext, items: { villageCode: string; localId: string | number }[], opts: IngestOptions): Promise<{ inboxId: number; deleted: number; unknown: number }> {
  const keys = items.map((i) => ({ village: regionDigits(String(i.villageCode)) ?? '', local: String(i.localId) }))
    .filter((k) => k.village.length === 10 && (!opts.allowedVillages || opts.allowedVillages.has(k.village)));
  return ctx.db.transaction(async (tx) => {
    const [inbox] = await rows<{ id: number }>(tx, sql`
      insert into inbox (channel, kind, village_code, api_key_id, source_id, record_count, payload)
      values (${opts.channel}, 'deletion', ${keys.length && keys.every((k) => k.village === keys[0]!.village) ? keys[0]!.village : null},
              ${opts.apiKeyId ?? null}, ${opts.sourceId ?? null}, ${items.length}, ${storableJson(opts.raw ?? items)}::json)
      returning id`);
    const marked = keys.length ? await rows<{ id: number; state: string }>(tx, sql`
      update resident_records t set deleted_at = now(), state = 'deleted', updated_at = now()
      from unnest(${arrayParam(keys.map((k) => k.village), 'text')}, ${arrayParam(keys.map((k) => k.local), 'text')}) as k(v, l)
      where t.village_code = k.v and t.local_id = k.l and t.deleted_at is null
      returning t.id, t.state`) : [];
    if (marked.length) {
      await tx.execute(sql`insert into resident_history (resident_id, change, inbox_id)
        select id, 'deleted', ${inbox!.id} from unnest(${arrayParam(marked.map((m) => m.id), 'int')}) as u(id)`);
    }
    const summary = { inboxId: inbox!.id, deleted: marked.length, unknown: items.length - marked.length };
    await tx.execute(sql`update inbox set response = ${storableJson(summary)}::jsonb where id = ${inbox!.id}`);
    return summary;
  });
}
