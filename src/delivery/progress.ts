import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import { arrayParam } from '../db/sqlArrays.js';
import type { HubConfig } from '../config/load.js';
import { dueAt } from './serviceLevel.js';
import { isFinal } from './answers.js';

/** Service level of an item: due at the end of its service's working days after routing; flagged when passed without a final answer. */
export function serviceLevelOf(config: HubConfig, service: string, routedAt: Date, answer: string | null, now = new Date()) {
  const s = config.services.get(service);
  if (!s) return { dueAt: null, overdue: false };
  const due = dueAt(routedAt, s.serviceLevelDays);
  return { dueAt: due.toISOString(), overdue: !isFinal(answer) && due < now };
}

export interface Progress {
  agency: string;
  kecamatanCode: string | null;
  /** The agency's latest answer, or null while it has not answered. */
  status: string | null;
  documentNumber: string | null;
  reason: string | null;
  answeredAt: string | null;
  routedAt: string;
  delivery: { mode: 'pull' | 'push'; state: string; pushState: string | null };
  dueAt: string | null;
  overdue: boolean;
  history: { status: string; at: string; documentNumber: string | null; reason: string | null; channel: string }[];
}

/** Each registration's progress at its agency, with the history of answers, in two queries for any number of registrations. */
export async function registrationProgress(db: Queryable, config: HubConfig, ids: number[]): Promise<Map<number, Progress>> {
  const out = new Map<number, Progress>();
  if (ids.length === 0) return out;
  const list = await rows<{
    registration_id: number; agency_code: string; kecamatan_code: string | null; status: string; push_state: string | null; created_at: Date;
    answer_status: string | null; answer_document_number: string | null; answer_reason: string | null; answered_at: Date | null; service_code: string;
  }>(db, sql`
    select d.registration_id, d.agency_code, d.kecamatan_code, d.status, d.push_state, d.created_at, d.answer_status,
           d.answer_document_number, d.answer_reason, d.answered_at, r.service_code
    from deliveries d join registrations r on r.id = d.registration_id
    where d.registration_id = any(${arrayParam(ids, 'int')})`);
  const events = await rows<{ registration_id: number; status: string; at: Date; document_number: string | null; reason: string | null; channel: string }>(db, sql`
    select registration_id, status, at, document_number, reason, channel from registration_events
    where registration_id = any(${arrayParam(ids, 'int')}) order by registration_id, id`);
  const now = new Date();
  for (const d of list) {
    out.set(d.registration_id, {
      agency: d.agency_code, kecamatanCode: d.kecamatan_code, status: d.answer_status, documentNumber: d.answer_document_number,
      reason: d.answer_reason, answeredAt: d.answered_at ? new Date(d.answered_at).toISOString() : null,
      routedAt: new Date(d.created_at).toISOString(),
      delivery: { mode: d.push_state ? 'push' : 'pull', state: d.status, pushState: d.push_state },
      ...serviceLevelOf(config, d.service_code, new Date(d.created_at), d.answer_status, now),
      history: [],
    });
  }
  for (const e of events) {
    out.get(e.registration_id)?.history.push({
      status: e.status, at: new Date(e.at).toISOString(), documentNumber: e.document_number, reason: e.reason, channel: e.channel,
    });
  }
  return out;
}

export interface FeedRow {
  id: number; external_id: string; service_code: string; status: string; village_code: string; created_at: Date;
  /** updated_at to the microsecond, as the next call's cursor (a JS Date would drop the microseconds). */
  updated_at: string;
}

/**
 * What changed in a village since a moment, oldest change first: the feed village systems poll. The
 * cursor is (updatedAt, id) of the last row, so rows changed in the same instant are neither skipped nor repeated.
 */
export async function villageFeed(db: Queryable, filter: { village: string; updatedSince: string; afterId?: number; limit: number }): Promise<FeedRow[]> {
  return rows<FeedRow>(db, sql`
    select id, external_id, service_code, status, village_code, created_at,
           to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as updated_at
    from registrations
    where village_code = ${filter.village} and (updated_at, id) > (${filter.updatedSince}::timestamptz, ${filter.afterId ?? 0})
    order by updated_at, id limit ${filter.limit}`);
}
