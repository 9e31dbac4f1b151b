import { sql } from 'drizzle-orm';
import { rows, type Tx } from '../../db/client.js';
import { quarantineOnce } from './quarantineOnce.js';
import { arrayParam, jsonRecordset } from '../../db/sqlArrays.js';
import { bodyJson, storableJson } from './storable.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { RegistrationCheck } from '../validate/registration.js';
import type { RecordError } from '../validate/recordError.js';
import { handedRegistration, type Handed } from '../handoff.js';

export interface RegistrationAnswer {
  externalId: string | null;
  id: number | null;
  status: 'accepted' | 'rejected';
  duplicate?: true;
  quarantineId?: number;
  errors?: RecordError[];
  warnings?: RecordError[];
}

export interface RegistrationSubmission {
  channel: 'push' | 'opendk' | 'import' | 'pull';
  villageCode: string;
  apiKeyId: number | null;
  idempotencyKey?: string | null;
  /** requestHash of the body, kept with the Idempotency-Key. */
  requestHash?: string | null;
  /** Stored as the inbox payload, as received. */
  payload: unknown;
  /** The raw records, parallel to `checks`; a rejected one is quarantined as it came. */
  list: unknown[];
  checks: RegistrationCheck[];
  /**
   * A corrected registration replayed from quarantine replaces the one the validate stage quarantined
   * (same village and externalId) and starts the pipeline again; a plain resend never does.
   */
  reviveQuarantined?: boolean;
}

export interface StoredRegistrations {
  response: { submissionId: number; records: RegistrationAnswer[] };
  /** Registrations to enqueue for the identify stage (they were validated on the way in). */
  newIds: number[];
  /** The new registrations as identify reads them, with their row versions: for handOff once committed. */
  handed: [number, Handed][];
}

/** The answer to an accepted registration: stored now (`fresh`), or a duplicate of the village's known one. */
export function acceptedAnswer(externalId: string, id: number, fresh: boolean, warnings: RecordError[]): RegistrationAnswer {
  return {
    externalId, id, status: 'accepted',
    ...(fresh ? {} : { duplicate: true as const }),
    ...(warnings.length ? { warnings } : {}),
  };
}

/**
 * The valid registrations as one jsonb document (jsonRecordset): applicants and details
 * travel as JSON inside it, where one text array per column quoted and escaped every character of their
 * JSON text again (postgres.js arrayEscape/arraySerializer were 7% of the hub's CPU in an HTTP batch
 * push; bench/bulkParams.ts: 4.1 vs 7.6 µs of client CPU per record, the same on the Postgres side).
 */
function validRows(checks: readonly RegistrationCheck[]): object[] {
  return checks.flatMap((c) => (c.ok
    ? [{ ext: c.value.externalId, svc: c.value.service.code, sub: c.value.submittedAt, app: c.value.applicant, det: c.value.details, warn: c.warnings.length ? c.warnings : null }]
    : []));
}

/**
 * Stores one submission inside the caller's transaction: the inbox row, the valid registrations
 * (a known externalId of the village is answered as a duplicate), the rejected ones in quarantine,
 * and the answer in inbox.response for Idempotency-Key replays. Null when the Idempotency-Key was
 * committed meanwhile by a concurrent request.
 */
export async function storeRegistrations(tx: Tx, s: RegistrationSubmission): Promise<StoredRegistrations | null> {
  let inboxId: number;
  try {
    [{ id: inboxId }] = await rows<{ id: number }>(tx, sql`
      insert into inbox (channel, kind, village_code, api_key_id, idempotency_key, request_hash, record_count, payload)
      values (${s.channel}, 'registration', ${s.villageCode}, ${s.apiKeyId}, ${s.idempotencyKey ?? null}, ${s.requestHash ?? null}, ${s.list.length}, ${bodyJson(s.payload)}::json)
      returning id`) as [{ id: number }];
  } catch (err) {
    // drizzle wraps the driver's error: the unique violation's code is on its cause.
    if (isUniqueViolation(err) && s.idempotencyKey) return null;
    throw err;
  }
  const { checks } = s;
  const valid = checks.flatMap((c) => (c.ok ? [c.value] : []));
  const fresh = new Map<string, number>();
  const existing = new Map<string, number>();
  const handed: [number, Handed][] = [];
  if (valid.length) {
    const onConflict = s.reviveQuarantined
      ? sql`on conflict (village_code, external_id) do update set inbox_id = excluded.inbox_id, service_code = excluded.service_code,
          submitted_at = excluded.submitted_at, applicant = excluded.applicant, details = excluded.details, status = 'validated',
          errors = null, warnings = excluded.warnings, updated_at = now()
        where registrations.status = 'quarantined'`
      : sql`on conflict (village_code, external_id) do nothing`;
    const inserted = await rows<{ id: number; external_id: string; version: string }>(tx, sql`
      insert into registrations (inbox_id, village_code, external_id, service_code, submitted_at, applicant, details, status, warnings)
      select ${inboxId}, ${s.villageCode}, u.ext, u.svc, u.sub, u.app, u.det, 'validated', u.warn
      from ${jsonRecordset(validRows(checks), 'u(ext text, svc text, sub timestamptz, app jsonb, det jsonb, warn jsonb)')}
      ${onConflict}
      returning id, external_id, xmin::text as version`);
    const byExternalId = new Map(valid.map((v) => [v.externalId, v]));
    for (const r of inserted) {
      fresh.set(r.external_id, r.id);
      handed.push([r.id, handedRegistration(r.version, s.villageCode, byExternalId.get(r.external_id)!)]);
    }
    const dup = valid.filter((v) => !fresh.has(v.externalId)).map((v) => v.externalId);
    if (dup.length) {
      for (const r of await rows<{ id: number; external_id: string }>(tx, sql`
        select id, external_id from registrations where village_code = ${s.villageCode} and external_id = any(${arrayParam(dup, 'text')})`)) {
        existing.set(r.external_id, r.id);
      }
    }
  }
  const rejected = checks.flatMap((c, i) => (c.ok ? [] : [{ c, raw: s.list[i] }]));
  const qIds = await quarantineOnce(tx, inboxId, 'registration', rejected.map((r) => ({
    villageCode: s.villageCode, externalId: r.c.ok ? null : r.c.externalId, payload: r.raw, errors: r.c.ok ? [] : r.c.errors,
  })));
  const answers: RegistrationAnswer[] = [];
  let q = 0;
  for (const c of checks) {
    if (!c.ok) {
      answers.push({ externalId: c.externalId, id: null, status: 'rejected', quarantineId: qIds[q++]!, errors: c.errors });
      continue;
    }
    const ext = c.value.externalId;
    answers.push(acceptedAnswer(ext, fresh.get(ext) ?? existing.get(ext)!, fresh.has(ext), c.warnings));
  }
  const response = { submissionId: inboxId, records: answers };
  await tx.execute(sql`update inbox set response = ${storableJson(response)}::jsonb where id = ${inboxId}`);
  return { response, newIds: [...fresh.values()], handed };
}
