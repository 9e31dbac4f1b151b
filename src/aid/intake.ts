/**
 * Accepting aid programs and participants from any channel: one inbox row per submission, good rows
 * upserted on (village, the village's own id) so a resend changes nothing, bad rows quarantined with
 * their codes (once: a resend of the same bad row adds nothing), participants linked to citizens.
 */
import { quarantineOnce } from '../pipeline/intake/quarantineOnce.js';
import { sql } from 'drizzle-orm';
import { rows, type Db, type Queryable } from '../db/client.js';
import { arrayParam } from '../db/sqlArrays.js';
import type { RecordError } from '../pipeline/validate/recordError.js';
import { checkParticipant, checkProgram, contentHash, programKeyOf, type AidParticipantInput, type AidProgramInput, type Checked } from './rows.js';
import { linkParticipants } from './link.js';

export type AidKind = 'aid_program' | 'aid_participant';

export interface AidSubmission {
  channel: 'opendk' | 'push' | 'import';
  apiKeyId: number | null;
  idempotencyKey?: string | null;
  /** Each row with its village already checked against the sender's scope. */
  rows: { villageCode: string; row: Record<string, unknown>; line: number }[];
  /** Rows refused before checking (a village outside the scope, an unknown code). */
  refused?: { villageCode: string | null; row: Record<string, unknown>; line: number; errors: RecordError[] }[];
}

export interface AidProblem { line: number; localId: string | null; status: 'quarantined' | 'warning'; errors: RecordError[] }

export interface AidResult {
  inboxId: number;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  /** Participants only: how many of the accepted are linked to a citizen, and how many are listed as unlinked. */
  linked?: number;
  unlinked?: number;
  problems: AidProblem[];
}

async function quarantineRows(tx: Queryable, inboxId: number, kind: AidKind, bad: { villageCode: string | null; row: Record<string, unknown>; errors: RecordError[] }[]): Promise<void> {
  await quarantineOnce(tx, inboxId, kind, bad.map((b) => ({ villageCode: b.villageCode, externalId: b.row.id == null ? null : String(b.row.id), payload: b.row, errors: b.errors })));
}

async function newInbox(tx: Queryable, kind: AidKind, s: AidSubmission, count: number): Promise<number> {
  const villages = [...new Set(s.rows.map((r) => r.villageCode))];
  const [r] = await rows<{ id: number }>(tx, sql`
    insert into inbox (channel, kind, village_code, api_key_id, idempotency_key, record_count, payload)
    values (${s.channel}, ${kind}, ${villages.length === 1 ? villages[0]! : null}, ${s.apiKeyId}, ${s.idempotencyKey ?? null}, ${count},
      ${JSON.stringify({ rows: s.rows.map((r) => r.row), refused: (s.refused ?? []).map((r) => r.row) })}::json)
    returning id`);
  return r!.id;
}

/** Later rows win when one submission names the same (village, id) twice. */
function lastPerKey<T extends { villageCode: string; localId: string }, I extends { value: T }>(items: I[]): I[] {
  const by = new Map<string, I>();
  for (const it of items) by.set(`${it.value.villageCode}|${it.value.localId}`, it);
  return [...by.values()];
}

function split<T>(s: AidSubmission, check: (village: string, r: Record<string, unknown>) => Checked<T>) {
  const good: { value: T; line: number; warnings: RecordError[] }[] = [];
  const bad = [...(s.refused ?? [])];
  for (const r of s.rows) {
    const c = check(r.villageCode, r.row);
    if (c.ok) good.push({ value: c.value, line: r.line, warnings: c.warnings });
    else bad.push({ villageCode: r.villageCode, row: r.row, line: r.line, errors: c.errors });
  }
  return { good, bad };
}

function problemsOf(bad: { row: Record<string, unknown>; line: number; errors: RecordError[] }[], warned: { line: number; localId: string; warnings: RecordError[] }[]): AidProblem[] {
  return [
    ...bad.map((b) => ({ line: b.line, localId: b.row.id == null ? null : String(b.row.id), status: 'quarantined' as const, errors: b.errors })),
    ...warned.filter((w) => w.warnings.length).map((w) => ({ line: w.line, localId: w.localId, status: 'warning' as const, errors: w.warnings })),
  ].sort((a, b) => a.line - b.line);
}

export async function ingestPrograms(db: Db, s: AidSubmission): Promise<AidResult> {
  const { good, bad } = split<AidProgramInput>(s, checkProgram);
  const list = lastPerKey(good);
  return db.transaction(async (tx) => {
    const inboxId = await newInbox(tx, 'aid_program', s, s.rows.length + (s.refused?.length ?? 0));
    const v = list.map((g) => g.value);
    const done = v.length ? await rows<{ created: boolean }>(tx, sql`
      insert into aid_programs (village_code, local_id, name, program_key, target, description, start_date, end_date, active, funding, channel, inbox_id)
      select u.village, u.local, u.name, u.key, u.target, u.descr, u.sdate, u.edate, u.active, u.funding, ${s.channel}, ${inboxId}
      from unnest(${arrayParam(v.map((p) => p.villageCode), 'text')}, ${arrayParam(v.map((p) => p.localId), 'text')}, ${arrayParam(v.map((p) => p.name), 'text')},
        ${arrayParam(v.map((p) => programKeyOf(p.name)), 'text')}, ${arrayParam(v.map((p) => p.target), 'int')}, ${arrayParam(v.map((p) => p.description), 'text')},
        ${arrayParam(v.map((p) => p.startDate), 'date')}, ${arrayParam(v.map((p) => p.endDate), 'date')}, ${arrayParam(v.map((p) => p.active), 'bool')},
        ${arrayParam(v.map((p) => p.funding), 'text')}) as u(village, local, name, key, target, descr, sdate, edate, active, funding)
      on conflict (village_code, local_id) do update set name = excluded.name, program_key = excluded.program_key, target = excluded.target,
        description = excluded.description, start_date = excluded.start_date, end_date = excluded.end_date, active = excluded.active,
        funding = excluded.funding, channel = excluded.channel, inbox_id = excluded.inbox_id, updated_at = now()
      where (aid_programs.name, aid_programs.target, aid_programs.description, aid_programs.start_date, aid_programs.end_date, aid_programs.active, aid_programs.funding)
        is distinct from (excluded.name, excluded.target, excluded.description, excluded.start_date, excluded.end_date, excluded.active, excluded.funding)
      returning (xmax = 0) as created`) : [];
    await quarantineRows(tx, inboxId, 'aid_program', bad);
    const created = done.filter((d) => d.created).length;
    const result: AidResult = {
      inboxId, rows: s.rows.length + (s.refused?.length ?? 0), created, updated: done.length - created, unchanged: list.length - done.length,
      quarantined: bad.length, problems: problemsOf(bad, []),
    };
    await tx.execute(sql`update inbox set response = ${JSON.stringify(result)}::jsonb where id = ${inboxId}`);
    return result;
  });
}

export async function ingestParticipants(db: Db, s: AidSubmission): Promise<AidResult> {
  const { good, bad } = split<AidParticipantInput>(s, checkParticipant);
  const list = lastPerKey(good);
  return db.transaction(async (tx) => {
    const inboxId = await newInbox(tx, 'aid_participant', s, s.rows.length + (s.refused?.length ?? 0));
    const v = list.map((g) => g.value);
    const done = v.length ? await rows<{ id: number; created: boolean }>(tx, sql`
      insert into aid_participants (village_code, local_id, program_local_id, participant_ref, card_number, nik, full_name, birth_place, birth_date,
        address, resident_local_id, target, content_hash, channel, inbox_id)
      select u.village, u.local, u.program, u.ref, u.card, u.nik, u.name, u.bplace, u.bdate, u.address, u.resident, u.target, u.hash, ${s.channel}, ${inboxId}
      from unnest(${arrayParam(v.map((p) => p.villageCode), 'text')}, ${arrayParam(v.map((p) => p.localId), 'text')}, ${arrayParam(v.map((p) => p.programLocalId), 'text')},
        ${arrayParam(v.map((p) => p.participantRef), 'text')}, ${arrayParam(v.map((p) => p.cardNumber), 'text')}, ${arrayParam(v.map((p) => p.nik), 'text')},
        ${arrayParam(v.map((p) => p.fullName), 'text')}, ${arrayParam(v.map((p) => p.birthPlace), 'text')}, ${arrayParam(v.map((p) => p.birthDate), 'date')},
        ${arrayParam(v.map((p) => p.address), 'text')}, ${arrayParam(v.map((p) => p.residentLocalId), 'text')}, ${arrayParam(v.map((p) => p.target), 'int')},
        ${arrayParam(v.map((p) => contentHash(p)), 'text')})
        as u(village, local, program, ref, card, nik, name, bplace, bdate, address, resident, target, hash)
      on conflict (village_code, local_id) do update set program_local_id = excluded.program_local_id, participant_ref = excluded.participant_ref,
        card_number = excluded.card_number, nik = excluded.nik, full_name = excluded.full_name, birth_place = excluded.birth_place,
        birth_date = excluded.birth_date, address = excluded.address, resident_local_id = excluded.resident_local_id, target = excluded.target,
        content_hash = excluded.content_hash, channel = excluded.channel, inbox_id = excluded.inbox_id, updated_at = now(),
        link = 'none', citizen_id = null, resident_id = null
      where aid_participants.content_hash <> excluded.content_hash
      returning id, (xmax = 0) as created`) : [];
    await quarantineRows(tx, inboxId, 'aid_participant', bad);
    const links = await linkParticipants(tx, done.map((d) => d.id));
    const created = done.filter((d) => d.created).length;
    const warned = list.map((g) => ({ line: g.line, localId: g.value.localId, warnings: g.warnings }));
    const result: AidResult = {
      inboxId, rows: s.rows.length + (s.refused?.length ?? 0), created, updated: done.length - created, unchanged: list.length - done.length,
      quarantined: bad.length, linked: links.linked, unlinked: links.unlinked, problems: problemsOf(bad, warned),
    };
    await tx.execute(sql`update inbox set response = ${JSON.stringify(result)}::jsonb where id = ${inboxId}`);
    return result;
  });
}
