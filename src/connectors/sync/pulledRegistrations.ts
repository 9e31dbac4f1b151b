import { sql } from 'drizzle-orm';
import { rows } from '../../db/client.js';
import { arrayParam, jsonTexts } from '../../db/sqlArrays.js';
import type { PipelineContext } from '../../pipeline/context.js';
import { cancelRegistrations } from '../../pipeline/intake/cancelRegistrations.js';
import { storeRegistrations } from '../../pipeline/intake/registrations.js';
import { checkRegistration, type RegistrationCheck } from '../../pipeline/validate/registration.js';
import { recordError, type RecordError } from '../../pipeline/validate/recordError.js';
import type { PulledRegistration, SourceRow } from '../types.js';

export interface PulledRegistrationsResult {
  /** Registered now or already (a re-pull is answered as duplicate). */
  accepted: number;
  quarantined: number;
  /** Failed exactly as before: already waiting in quarantine, not quarantined again. */
  known: number;
  /** Cancelled at the village and cancelled here now (withdrawn from the queue, or marked for the agency that has them). */
  cancelled: number;
}

interface ResidentRow {
  local_id: string; nik: string | null; kk: string | null; full_name: string; sex: string | null; birth_date: string | null;
  birth_place: string | null; mother_name: string | null; address: string | null; dusun: string | null; rt: string | null; rw: string | null;
}

const NIK = /^\d{16}$/;

/**
 * The applicants' resident records of the village, by resident id and by NIK. The residents were pulled
 * earlier in the same run; a living record wins over a dead or moved one with the same NIK.
 */
async function residentsOf(ctx: PipelineContext, village: string, items: PulledRegistration[]) {
  const ids = [...new Set(items.flatMap((i) => (i.pemohon.residentId ? [i.pemohon.residentId] : [])))];
  const niks = [...new Set(items.flatMap((i) => (i.pemohon.nik && NIK.test(i.pemohon.nik) ? [i.pemohon.nik] : [])))];
  const byId = new Map<string, ResidentRow>();
  const byNik = new Map<string, ResidentRow>();
  if (ids.length === 0 && niks.length === 0) return { byId, byNik };
  const found = await rows<ResidentRow>(ctx.db, sql`
    select local_id, nik, kk, full_name, sex, to_char(birth_date, 'YYYY-MM-DD') as birth_date, birth_place, mother_name,
      address, dusun, rt, rw
    from resident_records
    where village_code = ${village} and deleted_at is null
      and (local_id = any(${arrayParam(ids, 'text')}) or nik = any(${arrayParam(niks, 'text')}::char(16)[]))
    order by (state = 'active') desc, id`);
  for (const r of found) {
    if (!byId.has(r.local_id)) byId.set(r.local_id, r);
    if (r.nik && !byNik.has(r.nik)) byNik.set(r.nik, r);
  }
  return { byId, byNik };
}

/** The applicant as the registration schema reads it, from the village's own resident record. */
function applicantOf(r: ResidentRow, village: string, phone: string | null): Record<string, string> {
  const fields: Record<string, string | null> = {
    nik: r.nik, kk: r.kk, fullName: r.full_name, sex: r.sex, birthDate: r.birth_date, birthPlace: r.birth_place,
    motherName: r.mother_name, address: r.address, rt: r.rt, rw: r.rw, dusun: r.dusun, villageCode: village, phone,
  };
  return Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => e[1] != null && e[1] !== ''));
}

/**
 * Failures that are exactly the open quarantine entry of the same request: a full re-pull must not
 * quarantine an unmapped letter type or an unknown applicant again on every run. The registration as
 * built (with its resolved applicant) is compared, so a request whose resident has since arrived or
 * whose letter type has since been mapped goes through.
 */
async function knownBad(ctx: PipelineContext, village: string, list: Record<string, unknown>[], checks: RegistrationCheck[]): Promise<Set<number>> {
  const bad = checks.flatMap((c, i) => (c.ok ? [] : [i]));
  if (bad.length === 0) return new Set();
  const hits = await rows<{ i: number }>(ctx.db, sql`
    select u.i from unnest(${arrayParam(bad, 'int')}, ${arrayParam(bad.map((i) => String(list[i]!.externalId)), 'text')},
      ${arrayParam(jsonTexts(bad.map((i) => list[i])), 'text')}) as u(i, e, p)
    where exists (select 1 from quarantine q where q.kind = 'registration' and q.status = 'open' and q.village_code = ${village}
      and q.external_id = u.e and q.payload = u.p::jsonb)`);
  return new Set(hits.map((h) => h.i));
}

/**
 * Stores the service requests of one sync page as registrations of the source's village (channel
 * `pull`, one transaction): each applicant is the village's resident record (by resident id, else by
 * NIK); an unmapped letter type or an applicant the hub does not hold is quarantined with its code;
 * the new registrations go to the identify stage by id.
 */
export async function ingestPulledRegistrations(ctx: PipelineContext, source: SourceRow, items: PulledRegistration[], origin: string): Promise<PulledRegistrationsResult> {
  const result: PulledRegistrationsResult = { accepted: 0, quarantined: 0, known: 0, cancelled: 0 };
  const village = source.villageCode;
  if (!village || items.length === 0) return result;
  const live = items.filter((i) => !i.cancelled);
  const { byId, byNik } = await residentsOf(ctx, village, live);
  const now = new Date();
  const list: Record<string, unknown>[] = [];
  const checks: RegistrationCheck[] = [];
  for (const item of live) {
    const p = item.pemohon;
    const resident = (p.residentId ? byId.get(p.residentId) : undefined) ?? (p.nik ? byNik.get(p.nik) : undefined);
    // Without a resident record the applicant stays as the village stated it, for staff to complete.
    const stated = Object.fromEntries(Object.entries({ fullName: p.name, nik: p.nik }).filter((e) => e[1] != null));
    const registration: Record<string, unknown> = {
      externalId: item.externalId,
      ...(item.serviceCode ? { service: item.serviceCode } : {}),
      ...(item.submittedAt ? { submittedAt: item.submittedAt } : {}),
      applicant: resident ? applicantOf(resident, village, p.phone) : stated,
    };
    const errors: RecordError[] = [];
    if (!item.serviceCode) errors.push(recordError('LETTER_TYPE_UNMAPPED', 'service', item.letter));
    if (!resident) errors.push(recordError('APPLICANT_NOT_FOUND', 'applicant', p.residentId ? `id penduduk ${p.residentId}` : ''));
    list.push(registration);
    checks.push(errors.length ? { ok: false, errors, externalId: item.externalId } : checkRegistration(registration, ctx.config, village, now));
  }
  const skip = await knownBad(ctx, village, list, checks);
  result.known = skip.size;
  const keep = (_: unknown, i: number) => !skip.has(i);
  const submission = { list: list.filter(keep), checks: checks.filter(keep), raw: live.filter(keep).map((i) => i.raw) };
  const cancelledIds = items.filter((i) => i.cancelled).map((i) => i.externalId);

  let newIds: number[] = [];
  await ctx.db.transaction(async (tx) => {
    if (submission.list.length) {
      const stored = await storeRegistrations(tx, {
        channel: 'pull', villageCode: village, apiKeyId: null, payload: { source: source.id, origin, permohonan: submission.raw },
        list: submission.list, checks: submission.checks,
      });
      const answers = stored?.response.records ?? [];
      newIds = stored?.newIds ?? [];
      result.accepted = answers.filter((a) => a.status === 'accepted').length;
      result.quarantined = answers.length - result.accepted;
      // A request that failed on an earlier pull and is registered now (its resident arrived, its letter
      // type was mapped) closes its old quarantine entry.
      const fresh = answers.flatMap((a) => (a.status === 'accepted' && !a.duplicate && a.externalId ? [a.externalId] : []));
      if (fresh.length) {
        await tx.execute(sql`update quarantine set status = 'replayed', resolved_at = now()
          where kind = 'registration' and status = 'open' and village_code = ${village} and external_id = any(${arrayParam(fresh, 'text')})`);
      }
    }
    const outcomes = await cancelRegistrations(tx, {
      villageCode: village, externalIds: cancelledIds, actor: `source:${source.id}`, reason: 'cancelled at the village (permohonan Dibatalkan)',
    });
    result.cancelled = outcomes.filter((o) => o.status === 'cancelled').length;
  });
  try {
    await ctx.queues.enqueue('identify', newIds, origin);
  } catch (err) {
    // Committed already: the recovery sweep enqueues them when Redis is back.
    ctx.log.warn({ err: (err as Error).message, sourceId: source.id, registrations: newIds.length }, 'enqueue failed; left to the recovery sweep');
  }
  return result;
}
