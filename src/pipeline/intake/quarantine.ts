import { sql, type SQL } from 'drizzle-orm';
import { rows } from '../../db/client.js';
import { arrayParam } from '../../db/sqlArrays.js';
import type { PipelineContext } from '../context.js';
import { ingestResidents, type IngestOptions, type ResidentInput } from './residents.js';
import { storeRegistrations } from './registrations.js';
import { checkRegistration } from '../validate/registration.js';
import type { RecordError } from '../validate/recordError.js';

/** Which quarantined records a caller may see and replay. */
export interface QuarantineScope {
  /** null: every village (admin key, operator CLI). */
  villages: Set<string> | null;
  /** Records whose village could not be read are visible to the key that sent them. */
  apiKeyId: number | null;
}

export interface QuarantineItem {
  id: number; kind: string; villageCode: string | null; externalId: string | null; inboxId: number | null; channel: string | null;
  payload: unknown; errors: RecordError[]; status: string; createdAt: string; resolvedAt: string | null;
}

function visible(scope: QuarantineScope): SQL {
  if (!scope.villages) return sql`true`;
  return sql`(q.village_code = any(${arrayParam([...scope.villages], 'text')}::char(10)[])
    or (q.village_code is null and i.api_key_id = ${scope.apiKeyId ?? -1}))`;
}

export async function listQuarantine(ctx: PipelineContext, scope: QuarantineScope, filter: { village?: string; kind?: string; status?: string; limit: number; offset?: number; after?: number }): Promise<{ total: number; items: QuarantineItem[] }> {
  const where = sql.join([
    visible(scope),
    filter.village ? sql`q.village_code = ${filter.village}` : sql`true`,
    filter.kind ? sql`q.kind = ${filter.kind}` : sql`true`,
    filter.status ? sql`q.status = ${filter.status}` : sql`true`,
  ], sql` and `);
  const page = filter.after ? sql`and q.id > ${filter.after}` : sql``;
  const [{ total }] = await rows<{ total: number }>(ctx.db, sql`
    select count(*)::int as total from quarantine q left join inbox i on i.id = q.inbox_id where ${where}`) as [{ total: number }];
  const items = await rows<QuarantineItem>(ctx.db, sql`
    select q.id, q.kind, q.village_code as "villageCode", q.external_id as "externalId", q.inbox_id as "inboxId", i.channel,
           q.payload, q.errors, q.status, q.created_at as "createdAt", q.resolved_at as "resolvedAt"
    from quarantine q left join inbox i on i.id = q.inbox_id where ${where} ${page}
    order by q.id limit ${filter.limit} offset ${filter.offset ?? 0}`);
  return { total, items: items.map((it) => ({ ...it, createdAt: new Date(it.createdAt).toISOString(), resolvedAt: it.resolvedAt ? new Date(it.resolvedAt).toISOString() : null })) };
}

export interface ReplayAnswer {
  id: number;
  kind?: string;
  status: 'accepted' | 'rejected' | 'refused';
  /** The resident record or registration the replay produced. */
  recordId?: number;
  outcome?: string;
  /** Set when the corrected record failed again: it waits in quarantine under this new id. */
  quarantineId?: number;
  errors?: RecordError[];
}

interface Row { id: number; kind: string; village_code: string | null; payload: unknown; status: string; channel: string | null; api_key_id: number | null }

const refusal = (id: number, code: string, idText: string, en: string): ReplayAnswer =>
  ({ id, status: 'refused', errors: [{ code, field: 'id', message: { id: idText, en } }] });

/**
 * Corrects and replays quarantined records: the given payload (or the stored one) goes through the
 * same intake as new data — ingestResidents for residents, checkRegistration + storeRegistrations for
 * registrations. The old quarantine row is closed as 'replayed'; a record that fails again is
 * quarantined anew, never dropped.
 */
export async function replayQuarantine(ctx: PipelineContext, items: { id: number; payload?: unknown }[], scope: QuarantineScope, actor: { apiKeyId: number | null }): Promise<ReplayAnswer[]> {
  const found = new Map((await rows<Row>(ctx.db, sql`
    select q.id, q.kind, q.village_code, q.payload, q.status, i.channel, i.api_key_id
    from quarantine q left join inbox i on i.id = q.inbox_id
    where q.id = any(${arrayParam(items.map((i) => i.id), 'int')}) and ${visible(scope)}`)).map((r) => [r.id, r]));
  const answers = new Map<number, ReplayAnswer>();
  const residents: { item: { id: number; payload?: unknown }; row: Row }[] = [];
  const registrations: { item: { id: number; payload?: unknown }; row: Row }[] = [];
  const seen = new Set<number>();
  for (const item of items) {
    const row = found.get(item.id);
    if (!row) answers.set(item.id, refusal(item.id, 'NOT_FOUND', `Data karantina ${item.id} tidak ditemukan.`, `Quarantined record ${item.id} not found.`));
    else if (row.status !== 'open' || seen.has(item.id)) answers.set(item.id, refusal(item.id, 'QUARANTINE_NOT_OPEN', `Data karantina ${item.id} sudah diproses (${row.status}).`, `Quarantined record ${item.id} is already ${row.status}.`));
    else if (row.kind === 'resident') residents.push({ item, row });
    else registrations.push({ item, row });
    seen.add(item.id);
  }

  if (residents.length) {
    // One ingest per original channel, so a replayed OpenDK row is still recorded as coming from OpenDK.
    const byChannel = new Map<string, typeof residents>();
    for (const r of residents) {
      const ch = r.row.channel ?? 'push';
      byChannel.set(ch, [...(byChannel.get(ch) ?? []), r]);
    }
    for (const [channel, group] of byChannel) {
      // A corrected payload may leave the village out: it stays the quarantined record's village.
      const inputs = group.map((g) => {
        const input = (g.item.payload ?? g.row.payload) as ResidentInput;
        return input.villageCode == null && g.row.village_code ? { ...input, villageCode: g.row.village_code } : input;
      });
      const opts: IngestOptions = { channel: channel as IngestOptions['channel'], allowedVillages: scope.villages, apiKeyId: actor.apiKeyId ?? undefined, raw: { replayOf: group.map((g) => g.row.id), records: inputs } };
      const result = await ingestResidents(ctx, inputs, opts);
      result.records.forEach((r, i) => {
        const id = group[i]!.row.id;
        answers.set(id, r.status === 'quarantined'
          ? { id, kind: 'resident', status: 'rejected', quarantineId: r.quarantineId, errors: r.errors }
          : { id, kind: 'resident', status: 'accepted', recordId: r.id, outcome: r.status });
      });
    }
  }

  for (const { item, row } of registrations) {
    const raw = (item.payload ?? row.payload) as Record<string, unknown> | null;
    // The validate stage quarantines {registrationId, ...}; the registration itself is what is checked.
    const { registrationId: _registrationId, ...registration } = raw && typeof raw === 'object' ? raw : {};
    const village = row.village_code;
    if (!village) {
      answers.set(row.id, refusal(row.id, 'VILLAGE_CODE_UNKNOWN', 'Desa asal pendaftaran tidak diketahui; kirim ulang melalui API.', 'The registration\'s village is unknown; resubmit it through the API.'));
      continue;
    }
    const check = checkRegistration(registration, ctx.config, village);
    const stored = await ctx.db.transaction((tx) => storeRegistrations(tx, {
      channel: (row.channel ?? 'push') as 'push', villageCode: village, apiKeyId: actor.apiKeyId, payload: { replayOf: row.id, registration },
      list: [registration], checks: [check], reviveQuarantined: true,
    }));
    const a = stored!.response.records[0]!;
    answers.set(row.id, a.status === 'accepted'
      ? { id: row.id, kind: 'registration', status: 'accepted', recordId: a.id!, outcome: a.duplicate ? 'unchanged' : 'created' }
      : { id: row.id, kind: 'registration', status: 'rejected', quarantineId: a.quarantineId, errors: a.errors });
    if (stored!.newIds.length) {
      await ctx.queues.enqueue('identify', stored!.newIds, `replay${row.id}`).catch((err: Error) =>
        ctx.log.warn({ err: err.message, quarantineId: row.id }, 'enqueue failed; left to the recovery sweep'));
    }
  }

  // A record replayed unchanged and still wrong keeps its one open entry (intake finds it again).
  const replayed = [...answers.values()].filter((a) => a.status !== 'refused' && !('quarantineId' in a && a.quarantineId === a.id)).map((a) => a.id);
  if (replayed.length) {
    await ctx.db.execute(sql`update quarantine set status = 'replayed', resolved_at = now()
      where id = any(${arrayParam(replayed, 'int')}) and status = 'open'`);
  }
  return items.map((i) => answers.get(i.id)!);
}

export interface DiscardAnswer {
  id: number;
  status: 'discarded' | 'refused';
  errors?: RecordError[];
}

/**
 * Closes open quarantine entries without replaying them (a test record, a resident the village has
 * since removed): the entry stays, marked 'discarded', and who discarded it and why goes to the audit log.
 * The JSON API and the operator CLI both call this.
 */
export async function discardQuarantine(ctx: PipelineContext, ids: number[], scope: QuarantineScope, actor: { name: string; apiKeyId: number | null }, reason: string): Promise<DiscardAnswer[]> {
  return ctx.db.transaction(async (tx) => {
    const found = new Map((await rows<{ id: number; status: string; village_code: string | null }>(tx, sql`
      select q.id, q.status, q.village_code from quarantine q left join inbox i on i.id = q.inbox_id
      where q.id = any(${arrayParam(ids, 'int')}) and ${visible(scope)} for update of q`)).map((r) => [r.id, r]));
    const open = [...new Set(ids)].filter((id) => found.get(id)?.status === 'open');
    if (open.length) {
      await tx.execute(sql`update quarantine set status = 'discarded', resolved_at = now() where id = any(${arrayParam(open, 'int')})`);
      await tx.execute(sql`insert into audit_log (actor, action, target_type, target_id, region_code, detail)
        select ${actor.name}, 'quarantine.discard', 'quarantine', u.id::text, u.village,
          ${JSON.stringify({ reason, keyId: actor.apiKeyId })}::jsonb
        from unnest(${arrayParam(open, 'int')}, ${arrayParam(open.map((id) => found.get(id)!.village_code), 'text')}) as u(id, village)`);
    }
    const done = new Set(open);
    return ids.map((id) => {
      if (done.has(id)) { done.delete(id); return { id, status: 'discarded' as const }; }
      const row = found.get(id);
      return row
        ? refusal(id, 'QUARANTINE_NOT_OPEN', `Data karantina ${id} sudah diproses (${row.status}).`, `Quarantined record ${id} is already ${row.status}.`) as DiscardAnswer
        : refusal(id, 'NOT_FOUND', `Data karantina ${id} tidak ditemukan.`, `Quarantined record ${id} not found.`) as DiscardAnswer;
    });
  });
}

