import { sql } from 'drizzle-orm';
import { rows, type Db, type Tx } from '../../db/client.js';
import { allocateIds, arrayParam, jsonTexts } from '../../db/sqlArrays.js';
import type { PipelineContext } from '../context.js';
import type { RecordKind } from '../queues.js';
import type { Applicant } from '../validate/registration.js';
import { goldenRecord, joinCitizens, refreshGoldenRecords } from '../review/index.js';
import { lockIdentify } from './identifyLock.js';
import { noteBulkWrite } from '../../db/statistics.js';

/** The identifying part of a person, as registrations' applicants and resident records both carry it. */
export type Person = Pick<Applicant, 'nik' | 'kk' | 'fullName' | 'sex' | 'birthDate' | 'birthPlace' | 'motherName' | 'address' | 'villageCode'> &
  /** Where in the village (OpenSID's dusun, RT, RW): the engine compares them with the address. */
  Partial<Pick<Applicant, 'dusun' | 'rt' | 'rw'>>;

/** A record to identify: a registration's applicant or a village's resident record. */
export interface IdentityInput {
  kind: RecordKind;
  recordId: number;
  villageCode: string;
  person: Person;
}

/**
 * How one record was identified. `citizen` names an existing citizen (number) or one created in this
 * batch (`{ newKey }`), so several records of one batch can land on the same new citizen.
 */
export type CitizenRef = number | { newKey: number };
export interface IdentityDecision {
  recordId: number;
  outcome: 'match' | 'new' | 'possible';
  citizen: CitizenRef;
  /**
   * For `possible`: the citizen the record may be; for `match`: another citizen the record is as
   * well (two citizens of one person). Either way a review case is opened.
   */
  candidateCitizen?: CitizenRef;
  score?: number;
  /** The review case's score when it is not `score` (a `match` with a second citizen). */
  caseScore?: number;
  /** Why, per field (compact: levels and weights), kept with the link. */
  evidence?: unknown;
  /** For `possible`: the full evidence with both values side by side, for the reviewer. */
  reviewEvidence?: unknown;
  /**
   * For `match`: other citizens the record showed to be the same person as `citizen` (it matches
   * each strongly, and no hard evidence stands between them). They are merged into `citizen`.
   */
  joins?: { citizen: CitizenRef; score: number; evidence: unknown }[];
}

/** Decides records in order; may look at what it decided earlier in the same batch. */
export interface Resolver {
  resolve(tx: Tx, inputs: IdentityInput[]): Promise<{ decisions: IdentityDecision[]; newCitizens: Map<number, Person> }>;
  /** Called after the batch committed, with the ids the new citizens received. */
  committed?(decisions: IdentityDecision[], newIds: Map<number, number>, inputs: IdentityInput[], watermark?: number): void;
  /** Called when the batch rolled back. */
  aborted?(): void;
  /** Called before a batch takes the identify lock: slow preparation (loading an index) goes here. */
  prepare?(db: Db): Promise<void>;
}

/** Exact NIK match against citizens; a record without a NIK becomes a new citizen. */
export const exactNikResolver: Resolver = {
  async resolve(tx, inputs) {
    const niks = [...new Set(inputs.map((i) => i.person.nik).filter((n): n is string => !!n))];
    const known = new Map<string, number>();
    if (niks.length) {
      for (const r of await rows<{ id: number; nik: string }>(tx, sql`
        select id, nik from citizens where nik = any(${arrayParam(niks, 'text')}::char(16)[]) and merged_into is null order by id`)) {
        if (!known.has(r.nik)) known.set(r.nik, r.id);
      }
    }
    const fresh = new Map<string, number>();
    const newCitizens = new Map<number, Person>();
    const decisions = inputs.map((input): IdentityDecision => {
      const nik = input.person.nik;
      const existing = nik ? known.get(nik) : undefined;
      if (existing !== undefined) return { recordId: input.recordId, outcome: 'match', citizen: existing, score: 1, evidence: { nik: 'exact' } };
      const already = nik ? fresh.get(nik) : undefined;
      if (already !== undefined) return { recordId: input.recordId, outcome: 'match', citizen: { newKey: already }, score: 1, evidence: { nik: 'exact' } };
      const key = newCitizens.size;
      newCitizens.set(key, input.person);
      if (nik) fresh.set(nik, key);
      return { recordId: input.recordId, outcome: 'new', citizen: { newKey: key } };
    });
    return { decisions, newCitizens };
  },
};

/** Where each kind of record waits for identity, and how its person is read. */
const SOURCES: Record<RecordKind, { from: string; load: ReturnType<typeof sql> }> = {
  registration: {
    from: 'validated',
    load: sql`select id, village_code, applicant as person from registrations`,
  },
  resident: {
    from: 'accepted',
    load: sql`select id, village_code, json_build_object('nik', nik, 'kk', kk, 'fullName', full_name, 'sex', sex,
      'birthDate', birth_date, 'birthPlace', birth_place, 'motherName', mother_name, 'address', address, 'dusun', dusun, 'rt', rt, 'rw', rw,
      'villageCode', village_code) as person
      from resident_records`,
  },
};

/** Writes the new citizens with exactly as many sequence values as needed. */
async function insertCitizens(tx: Tx, people: Map<number, Person>): Promise<Map<number, number>> {
  const ids = new Map<number, number>();
  if (people.size === 0) return ids;
  const allocated = await allocateIds(tx, 'citizens', people.size);
  const keys = [...people.keys()];
  keys.forEach((k, i) => ids.set(k, allocated[i]!));
  // A new citizen's golden record is its one source record, computed here rather than re-read.
  const list = keys.map((k) => {
    const p = people.get(k)!;
    return goldenRecord([{ ...p, seenAt: null }]) ?? p;
  });
  const col = <T>(f: (p: Person) => T) => list.map(f);
  await tx.execute(sql`
    insert into citizens (id, nik, kk, full_name, sex, birth_date, birth_place, mother_name, address, village_code)
    overriding system value
    select * from unnest(${arrayParam(keys.map((k) => ids.get(k)!), 'int')}, ${arrayParam(col((p) => p.nik), 'text')},
      ${arrayParam(col((p) => p.kk), 'text')}, ${arrayParam(col((p) => p.fullName), 'text')}, ${arrayParam(col((p) => p.sex), 'text')},
      ${arrayParam(col((p) => p.birthDate), 'date')}, ${arrayParam(col((p) => p.birthPlace), 'text')},
      ${arrayParam(col((p) => p.motherName), 'text')}, ${arrayParam(col((p) => p.address), 'text')},
      ${arrayParam(col((p) => p.villageCode), 'text')})`);
  return ids;
}

/**
 * validated → identified. Each record is linked to one citizen (existing or new) with the evidence of
 * the decision; a `possible` one also opens a review case for its kecamatan and is marked provisional.
 */
export async function identifyStage(ctx: PipelineContext, ids: number[], kind: RecordKind = 'registration', resolver: Resolver = exactNikResolver): Promise<number[]> {
  const source = SOURCES[kind];
  // Outside the lock; a failure here leaves the work to the batch.
  await resolver.prepare?.(ctx.db).catch((err: unknown) => ctx.log.warn({ err }, 'identity index not prepared before the batch'));
  let done: { decisions: IdentityDecision[]; newIds: Map<number, number>; inputs: IdentityInput[]; watermark: number; released: number[] } | null = null;
  try {
    done = await ctx.db.transaction(async (tx) => {
      await lockIdentify(tx);
      // Each record by its key, locked in id order. Asked as one list, the planner took the in-flight
      // index whenever its statistics were stale (a first sync leaves 300k records in flight at once)
      // and read every record in flight for each batch.
      const found = await rows<{ id: number; village_code: string; person: Person }>(tx, sql`
        select s.* from unnest(${arrayParam([...new Set(ids)].sort((a, b) => a - b), 'int')}) as u(id)
        cross join lateral (${source.load} where id = u.id and status = ${source.from} for update) s
        order by s.id`);
      if (found.length === 0) return null;
      const inputs: IdentityInput[] = found.map((f) => ({ kind, recordId: f.id, villageCode: f.village_code, person: f.person }));
      const { decisions, newCitizens } = await resolver.resolve(tx, inputs);
      const newIds = await insertCitizens(tx, newCitizens);
      const idOf = (ref: CitizenRef) => (typeof ref === 'number' ? ref : newIds.get(ref.newKey)!);
      const citizenOf = (d: IdentityDecision) => idOf(d.citizen);
      const villageOf = new Map(inputs.map((i) => [i.recordId, i.person.villageCode ?? i.villageCode]));

      const recIds = arrayParam(decisions.map((d) => d.recordId), 'int');
      const citizenIds = arrayParam(decisions.map(citizenOf), 'int');
      await tx.execute(sql`
        insert into citizen_records (citizen_id, record_kind, record_id, village_code, link, score, evidence)
        select u.citizen, ${kind}, u.rec, u.village, u.link, u.score, u.evidence::jsonb
        from unnest(${citizenIds}, ${recIds}, ${arrayParam(decisions.map((d) => villageOf.get(d.recordId)), 'text')},
          ${arrayParam(decisions.map((d) => d.outcome), 'text')}, ${arrayParam(decisions.map((d) => d.score ?? null), 'real')},
          ${arrayParam(jsonTexts(decisions.map((d) => d.evidence ?? null)), 'text')}) as u(citizen, rec, village, link, score, evidence)
        on conflict (record_kind, record_id) do update set citizen_id = excluded.citizen_id, village_code = excluded.village_code,
          link = excluded.link, score = excluded.score, evidence = excluded.evidence`);
      const possible = decisions.filter((d) => d.candidateCitizen !== undefined && idOf(d.candidateCitizen) !== citizenOf(d));
      if (possible.length) {
        await tx.execute(sql`
          insert into review_cases (kecamatan_code, record_kind, record_id, citizen_id, candidate_citizen_id, score, evidence)
          select left(u.village, 6), ${kind}, u.rec, u.citizen, u.candidate, u.score, u.evidence::jsonb
          from unnest(${arrayParam(possible.map((d) => villageOf.get(d.recordId)), 'text')},
            ${arrayParam(possible.map((d) => d.recordId), 'int')}, ${arrayParam(possible.map(citizenOf), 'int')},
            ${arrayParam(possible.map((d) => idOf(d.candidateCitizen!)), 'int')}, ${arrayParam(possible.map((d) => d.caseScore ?? d.score ?? null), 'real')},
            ${arrayParam(jsonTexts(possible.map((d) => d.reviewEvidence ?? d.evidence ?? null)), 'text')}) as u(village, rec, citizen, candidate, score, evidence)
          -- Two citizens already waiting for a decision about each other need no second case (two probes
          -- of the open-pair index: one condition with OR would compare every open case with every row).
          where not exists (select 1 from review_cases o where o.status = 'open' and o.citizen_id = u.citizen and o.candidate_citizen_id = u.candidate)
            and not exists (select 1 from review_cases o where o.status = 'open' and o.citizen_id = u.candidate and o.candidate_citizen_id = u.citizen)
          on conflict (record_kind, record_id, candidate_citizen_id) do nothing`);
      }
      // The records were read in their `from` state and locked above: no status test here, which would
      // again invite the in-flight index and a hash of every record in flight.
      const outcomes = arrayParam(decisions.map((d) => d.outcome), 'text');
      if (kind === 'registration') {
        await tx.execute(sql`
          update registrations r set status = 'identified', citizen_id = u.citizen,
                 identity = case when u.outcome = 'possible' then 'provisional' else 'confirmed' end, updated_at = now()
          from unnest(${recIds}, ${citizenIds}, ${outcomes}) as u(id, citizen, outcome)
          where r.id = u.id`);
      } else {
        await tx.execute(sql`
          update resident_records r set status = 'identified', citizen_id = u.citizen, updated_at = now()
          from unnest(${recIds}, ${citizenIds}) as u(id, citizen)
          where r.id = u.id`);
      }
      // Two citizens of one person joined, after every record of the batch is written (a record
      // decided earlier in the batch may name the citizen that goes).
      const survivors: number[] = [];
      const released: number[] = [];
      for (const d of decisions) {
        for (const j of d.joins ?? []) {
          const done = await joinCitizens(tx, {
            kind, recordId: d.recordId, village: villageOf.get(d.recordId)!, into: citizenOf(d), from: idOf(j.citizen), score: j.score, evidence: j.evidence,
          });
          if (done) {
            survivors.push(done.into);
            released.push(...done.released);
          }
        }
      }
      // A citizen that gained a record gets its golden record again: the consistent NIK, the newest address.
      await refreshGoldenRecords(tx, [...decisions.filter((d) => d.outcome === 'match' && typeof d.citizen === 'number').map(citizenOf), ...survivors]);
      const [mark] = await rows<{ max: number }>(tx, sql`select coalesce(max(id), 0)::int as max from citizen_records`);
      return { decisions, newIds, inputs, watermark: mark!.max, released };
    });
  } catch (err) {
    resolver.aborted?.();
    throw err;
  }
  if (!done) return [];
  resolver.committed?.(done.decisions, done.newIds, done.inputs, done.watermark);
  const identified = done.decisions.map((d) => d.recordId);
  noteBulkWrite(ctx.db, 'citizen_records', identified.length, ctx.log);
  noteBulkWrite(ctx.db, 'citizens', done.newIds.size, ctx.log);
  noteBulkWrite(ctx.db, kind === 'registration' ? 'registrations' : 'resident_records', identified.length, ctx.log);
  if (kind === 'registration') await ctx.queues.enqueue('route', identified);
  // Registrations held on a case a join settled (of either kind of record): the route stage takes them.
  if (done.released.length) await ctx.queues.enqueue('route', done.released);
  return identified;
}
