import { sql } from 'drizzle-orm';
import { rows, type Db, type Tx } from '../../db/client.js';
import { arrayParam, jsonRecordset } from '../../db/sqlArrays.js';
import type { PipelineContext } from '../context.js';
import type { RecordKind } from '../queues.js';
import type { Applicant } from '../validate/registration.js';
import { goldenRecord, joinCitizens, refreshGoldenRecords } from '../review/index.js';
import { customPlans, lockIdentify } from './identifyLock.js';
import { noteBulkWrite } from '../../db/statistics.js';
import { routeOutcome } from './route.js';
import { takeHanded } from '../handoff.js';

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

/**
 * Called by a resolver with each slice of decisions as soon as it is taken (in input order; `newCitizens`
 * holds every new citizen of the batch so far). The stage writes the slice while the resolver decides
 * the next one, so Postgres and the engine work at once.
 */
export type DecidedSlice = (decisions: IdentityDecision[], newCitizens: Map<number, Person>) => Promise<void>;

/** Decides records in order; may look at what it decided earlier in the same batch. */
export interface Resolver {
  /**
   * The decisions, all of them, in input order. `decided`, when given, may be called with the leading
   * slices of them as they are taken (awaited before the next slice; a decision's citizen, outcome,
   * score and evidence must not change after it was passed: its link is written then); the stage writes
   * what was not passed there after `resolve` returns, and the review cases of all at the end.
   */
  resolve(tx: Tx, inputs: IdentityInput[], decided?: DecidedSlice): Promise<{ decisions: IdentityDecision[]; newCitizens: Map<number, Person> }>;
  /** Called after the batch committed, with the ids the new citizens received. */
  committed?(decisions: IdentityDecision[], newIds: Map<number, number>, inputs: IdentityInput[], watermark?: number): void;
  /** Called when the batch rolled back. */
  aborted?(): void;
  /** Called before a batch takes the identify lock: slow preparation (loading an index) goes here. */
  prepare?(db: Db): Promise<void>;
  /**
   * Called with a batch's records ahead of its `resolve`, a chunk at a time while the batch before it
   * waits on Postgres (or all at once for records handed over by intake): work on a record that needs
   * neither the lock nor the index (normalizing it) goes here, keyed by the input object, which
   * `resolve` receives again unless the record changed in between. Some records may reach `resolve`
   * without it: resolve must not depend on it.
   */
  warm?(inputs: IdentityInput[]): void;
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
const SOURCES: Record<RecordKind, { table: string; from: string; columns: ReturnType<typeof sql> }> = {
  registration: {
    table: 'registrations',
    from: 'validated',
    columns: sql`id, village_code, applicant as person, service_code`,
  },
  resident: {
    table: 'resident_records',
    from: 'accepted',
    columns: sql`id, village_code, json_build_object('nik', nik, 'kk', kk, 'fullName', full_name, 'sex', sex,
      'birthDate', birth_date, 'birthPlace', birth_place, 'motherName', mother_name, 'address', address, 'dusun', dusun, 'rt', rt, 'rw', rw,
      'villageCode', village_code) as person`,
  },
};

interface FoundRow { id: number; village_code: string; person: Person; service_code?: string }

/**
 * The records still waiting for identity, each by its key in id order (asked as one list, the planner
 * took the in-flight index whenever its statistics were stale, as after a first sync of 300k records,
 * and read every record in flight for each batch). `what` is the select list; `lock` locks each row.
 */
function waitingRecords(kind: RecordKind, ids: number[], what: ReturnType<typeof sql>, lock: boolean) {
  const source = SOURCES[kind];
  return sql`
    select s.* from unnest(${arrayParam([...new Set(ids)].sort((a, b) => a - b), 'int')}) as u(id)
    cross join lateral (select ${what} from ${sql.identifier(source.table)} where id = u.id and status = ${source.from}
      ${lock ? sql`for update` : sql``}) s
    order by s.id`;
}

function inputOf(kind: RecordKind, f: FoundRow): IdentityInput {
  return { kind, recordId: f.id, villageCode: f.village_code, person: f.person };
}

/**
 * A batch's records read and warmed (Resolver.warm) ahead, outside the lock, while the batch before it
 * runs: in a backlog, that batch's last writes, review cases, golden records and commit leave the hub
 * idle and Postgres busy, and this read and the normalizing are the part of the next batch that does
 * not depend on it. Each row keeps its version (xmin); under the lock, a record whose version changed
 * since (a re-pushed record updated in place) is read again.
 */
export interface ReadAhead {
  kind: RecordKind;
  records: Map<number, { row: FoundRow; input: IdentityInput; version: string }>;
}

export async function readAhead(db: Db, ids: number[], kind: RecordKind, resolver: Resolver): Promise<ReadAhead> {
  const records = handedRecords(db, ids, kind);
  const rest = records.size ? ids.filter((id) => !records.has(id)) : ids;
  if (rest.length) {
    const found = await rows<FoundRow & { version: string }>(db, waitingRecords(kind, rest, sql`${SOURCES[kind].columns}, xmin::text as version`, false));
    for (const { version, ...row } of found) records.set(row.id, { row, input: inputOf(kind, row), version });
  }
  const ahead = { kind, records };
  if (resolver.warm) {
    const pending = unwarmed.get(resolver) ?? [];
    pending.push({ ahead, inputs: [...records.values()].map((r) => r.input), at: 0 });
    unwarmed.set(resolver, pending);
  }
  return ahead;
}

/**
 * Batches read ahead and not yet (wholly) warmed, per resolver, oldest first. A read returns while the
 * batch before runs its engine; warmed then, it took the thread from that engine, while the batch
 * left it idle each time it waited on Postgres (its lock, its last writes, its golden records). The
 * running batch warms them a chunk at a time during those waits (warmingWhile); whatever of its own
 * records is still cold when its engine starts, resolve prepares.
 */
const unwarmed = new WeakMap<Resolver, { ahead: ReadAhead; inputs: IdentityInput[]; at: number }[]>();

/** Records warmed between two looks at the awaited statement (about half a millisecond of work). */
const WARM_CHUNK = 64;

/** Awaits `p`; until it settles, warms read-ahead records a chunk at a time. */
async function warmingWhile<T>(resolver: Resolver, p: Promise<T>): Promise<T> {
  const pending = unwarmed.get(resolver);
  if (pending?.length) {
    let settled = false;
    const done = () => { settled = true; };
    p.then(done, done);
    while (!settled && pending.length) {
      const next = pending[0]!;
      resolver.warm?.(next.inputs.slice(next.at, (next.at += WARM_CHUNK)));
      if (next.at >= next.inputs.length) pending.shift();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  return p;
}

/** A batch's own records leave the list when its engine starts: warming them after would be wasted. */
function forgetUnwarmed(resolver: Resolver, ahead: ReadAhead | undefined): void {
  const pending = unwarmed.get(resolver);
  const at = pending?.findIndex((u) => u.ahead === ahead) ?? -1;
  if (at >= 0) pending!.splice(at, 1);
}

/** The records this process stored and handed to identify (handOff), as if read ahead; none for residents. */
function handedRecords(db: Db, ids: number[], kind: RecordKind): ReadAhead['records'] {
  const records: ReadAhead['records'] = new Map();
  if (kind !== 'registration') return records;
  for (const id of ids) {
    const h = takeHanded(db, id);
    if (!h) continue;
    const row: FoundRow = { id, village_code: h.villageCode, person: h.person, service_code: h.serviceCode };
    records.set(id, { row, input: inputOf(kind, row), version: h.version });
  }
  return records;
}

/** A batch not read ahead (no backlog): its handed records, warmed, without a query; undefined when none were handed. */
function handedAhead(db: Db, ids: number[], kind: RecordKind, resolver: Resolver): ReadAhead | undefined {
  const records = handedRecords(db, ids, kind);
  if (records.size === 0) return undefined;
  resolver.warm?.([...records.values()].map((r) => r.input));
  return { kind, records };
}

/** The records to identify, locked; those read ahead and unchanged since are taken as they were read. */
async function lockRecords(tx: Tx, ids: number[], kind: RecordKind, ahead: ReadAhead | undefined): Promise<{ row: FoundRow; input: IdentityInput }[]> {
  if (!ahead || ahead.kind !== kind) {
    return (await rows<FoundRow>(tx, waitingRecords(kind, ids, SOURCES[kind].columns, true))).map((row) => ({ row, input: inputOf(kind, row) }));
  }
  const locked = await rows<{ id: number; version: string }>(tx, waitingRecords(kind, ids, sql`id, xmin::text as version`, true));
  const changed = locked.filter((l) => ahead.records.get(l.id)?.version !== l.version).map((l) => l.id);
  const reread = new Map(changed.length
    ? (await rows<FoundRow>(tx, waitingRecords(kind, changed, SOURCES[kind].columns, false))).map((row) => [row.id, { row, input: inputOf(kind, row) }])
    : []);
  return locked.map((l) => reread.get(l.id) ?? ahead.records.get(l.id)).filter((r): r is NonNullable<typeof r> => r !== undefined);
}

/** A new citizen's golden record is its one source record, computed here rather than re-read. */
function citizenRow(k: number, p: Person): object {
  const g = goldenRecord([{ ...p, seenAt: null }]) ?? p;
  return {
    k, nik: g.nik, kk: g.kk, full_name: g.fullName, sex: g.sex, birth_date: g.birthDate, birth_place: g.birthPlace,
    mother_name: g.motherName, address: g.address, village_code: g.villageCode,
  };
}

/** Lets the socket take the statement just issued before the engine holds the thread again. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * validated → identified. Each record is linked to one citizen (existing or new) with the evidence of
 * the decision; a `possible` one also opens a review case for its kecamatan and is marked provisional.
 * A registration is routed in the same statement (routeOutcome: its delivery row, or held), so it
 * passes from validated to routed in one update; the route stage takes the ones released or replayed.
 */
export async function identifyStage(
  ctx: PipelineContext, ids: number[], kind: RecordKind = 'registration', resolver: Resolver = exactNikResolver, ahead?: Promise<ReadAhead | undefined>,
): Promise<number[]> {
  // Outside the lock; a failure here leaves the work to the batch.
  await resolver.prepare?.(ctx.db).catch((err: unknown) => ctx.log.warn({ err }, 'identity index not prepared before the batch'));
  // Records handed over by this process's intake are taken as read ahead: the lock below still checks each one's version.
  const read = (await ahead?.catch(() => undefined)) ?? handedAhead(ctx.db, ids, kind, resolver);
  let done: {
    decisions: IdentityDecision[]; newIds: Map<number, number>; inputs: IdentityInput[]; watermark: number; released: number[];
    routed: number; unrouted: number[];
  } | null = null;
  try {
    done = await ctx.db.transaction(async (tx) => {
      await warmingWhile(resolver, lockIdentify(tx, { genericPlans: true }));
      forgetUnwarmed(resolver, read);
      const found = await warmingWhile(resolver, lockRecords(tx, ids, kind, read));
      if (found.length === 0) return null;
      const inputs = found.map((f) => f.input);
      const villageOf = new Map(inputs.map((i) => [i.recordId, i.person.villageCode ?? i.villageCode]));
      const serviceOf = new Map(found.map((f) => [f.row.id, f.row.service_code ?? '']));
      const newIds = new Map<number, number>();
      const idOf = (ref: CitizenRef) => (typeof ref === 'number' ? ref : newIds.get(ref.newKey)!);
      const citizenOf = (d: IdentityDecision) => idOf(d.citizen);
      // One statement per slice of decisions, issued and not awaited: Postgres writes a slice while the
      // engine decides the next. Statements run in order on the transaction's connection.
      const writing: Promise<void>[] = [];
      const sent = new Set<number>();
      let written = 0;
      let routed = 0;
      const unrouted: number[] = [];
      const write: DecidedSlice = async (slice, newCitizens) => {
        const fresh = [...newCitizens.keys()].filter((k) => !sent.has(k));
        // A record of an earlier slice's new citizen, whose id is still on its way (rare): wait for it.
        if (slice.some((d) => typeof d.citizen !== 'number' && sent.has(d.citizen.newKey) && !newIds.has(d.citizen.newKey))) await Promise.all(writing);
        for (const k of fresh) sent.add(k);
        const links = slice.map((d) => {
          const link = {
            c: typeof d.citizen === 'number' ? d.citizen : newIds.get(d.citizen.newKey), k: typeof d.citizen === 'number' ? undefined : d.citizen.newKey,
            r: d.recordId, v: villageOf.get(d.recordId), l: d.outcome, s: d.score, e: d.evidence,
          };
          if (kind !== 'registration') return link;
          // Routed (or held) in the same write: a registration's identity is final here (the decision
          // does not change after its slice), and a second stage would update every row again.
          const next = routeOutcome(ctx.config, serviceOf.get(d.recordId)!, link.v!, d.outcome === 'possible' ? 'provisional' : 'confirmed');
          const route = next?.status === 'routed' ? next.route : null;
          return { ...link, st: next?.status ?? 'identified', ag: route?.agency, lv: route?.level, kc: route?.kecamatanCode, q: route?.queue };
        });
        for (const l of links) {
          if (!('st' in l)) continue;
          if (l.st === 'routed') routed++;
          else if (l.st === 'identified') unrouted.push(l.r);
        }
        // The new citizens draw their ids from the sequence here, exactly as many as needed (nc is
        // materialized once: nextval is volatile); links and records take them by key. The records were
        // read in their `from` state and locked above: no status test, which would again invite the
        // in-flight index and a hash of every record in flight.
        const q = sql`
          with nc as (
            select nextval('citizens_id_seq'::regclass)::int as id, x.*
            from ${jsonRecordset(fresh.map((k) => citizenRow(k, newCitizens.get(k)!)), `x(k int, nik text, kk text, full_name text, sex text,
              birth_date date, birth_place text, mother_name text, address text, village_code text)`)}
          ), citizen as (
            insert into citizens (id, nik, kk, full_name, sex, birth_date, birth_place, mother_name, address, village_code)
            overriding system value
            select id, nik, kk, full_name, sex, birth_date, birth_place, mother_name, address, village_code from nc
          ), u as (
            select coalesce(l.c, nc.id) as citizen, l.*
            from ${jsonRecordset(links, kind === 'registration'
              ? 'l(c int, k int, r int, v text, l text, s real, e jsonb, st text, ag text, lv text, kc text, q text)'
              : 'l(c int, k int, r int, v text, l text, s real, e jsonb)')} left join nc on nc.k = l.k
          ), link as (
            insert into citizen_records (citizen_id, record_kind, record_id, village_code, link, score, evidence)
            select u.citizen, ${kind}, u.r, u.v, u.l, u.s, u.e from u
            on conflict (record_kind, record_id) do update set citizen_id = excluded.citizen_id, village_code = excluded.village_code,
              link = excluded.link, score = excluded.score, evidence = excluded.evidence
          ), rec as (
            ${kind === 'registration'
              ? sql`update registrations r set status = u.st, citizen_id = u.citizen,
                  identity = case when u.l = 'possible' then 'provisional' else 'confirmed' end,
                  route_agency = case when u.st = 'routed' then u.ag else r.route_agency end,
                  route_level = case when u.st = 'routed' then u.lv else r.route_level end,
                  route_kecamatan = case when u.st = 'routed' then u.kc else r.route_kecamatan end, updated_at = now()
                from u where r.id = u.r
              ), delivery as (
                insert into deliveries (registration_id, agency_code, level, kecamatan_code, queue)
                select u.r, u.ag, u.lv, u.kc, u.q from u where u.st = 'routed'
                on conflict (registration_id) do nothing`
              : sql`update resident_records r set status = 'identified', citizen_id = u.citizen, updated_at = now()
                from u where r.id = u.r`}
          )
          select k, id from nc`;
        const p = rows<{ k: number; id: number }>(tx, q).then((made) => { for (const m of made) newIds.set(m.k, m.id); });
        p.catch(() => undefined);
        writing.push(p);
        written += slice.length;
        await flush();
      };
      let resolved: Awaited<ReturnType<Resolver['resolve']>>;
      try {
        resolved = await resolver.resolve(tx, inputs, write);
        if (written < resolved.decisions.length) await write(resolved.decisions.slice(written), resolved.newCitizens);
        await warmingWhile(resolver, Promise.all(writing));
      } catch (err) {
        // A failed slice fails what follows it ("transaction is aborted"): the first failure is the cause.
        const failed = (await Promise.allSettled(writing)).find((r) => r.status === 'rejected');
        throw failed ? (failed as PromiseRejectedResult).reason : err;
      }
      const { decisions } = resolved;
      const possible = decisions.filter((d) => d.candidateCitizen !== undefined && idOf(d.candidateCitizen) !== citizenOf(d));
      if (possible.length) {
        await tx.execute(sql`
          insert into review_cases (kecamatan_code, record_kind, record_id, citizen_id, candidate_citizen_id, score, evidence)
          select left(u.village, 6), ${kind}, u.rec, u.citizen, u.candidate, u.score, u.evidence
          from ${jsonRecordset(possible.map((d) => ({
            village: villageOf.get(d.recordId), rec: d.recordId, citizen: citizenOf(d), candidate: idOf(d.candidateCitizen!),
            score: d.caseScore ?? d.score, evidence: d.reviewEvidence ?? d.evidence,
          })), 'u(village text, rec int, citizen int, candidate int, score real, evidence jsonb)')}
          -- Two citizens already waiting for a decision about each other need no second case (two probes
          -- of the open-pair index: one condition with OR would compare every open case with every row).
          where not exists (select 1 from review_cases o where o.status = 'open' and o.citizen_id = u.citizen and o.candidate_citizen_id = u.candidate)
            and not exists (select 1 from review_cases o where o.status = 'open' and o.citizen_id = u.candidate and o.candidate_citizen_id = u.citizen)
          on conflict (record_kind, record_id, candidate_citizen_id) do nothing`);
      }
      // Two citizens of one person joined, after every record of the batch is written (a record
      // decided earlier in the batch may name the citizen that goes).
      const survivors: number[] = [];
      const released: number[] = [];
      // Joins (rare) run the review's merge, whose statements were not written for generic plans.
      if (decisions.some((d) => d.joins?.length)) await customPlans(tx);
      for (const d of decisions) {
        for (const j of d.joins ?? []) {
          const joined = await joinCitizens(tx, {
            kind, recordId: d.recordId, village: villageOf.get(d.recordId)!, into: citizenOf(d), from: idOf(j.citizen), score: j.score, evidence: j.evidence,
          });
          if (joined) {
            survivors.push(joined.into);
            released.push(...joined.released);
          }
        }
      }
      // A citizen that gained a record gets its golden record again: the consistent NIK, the newest
      // address. That includes a citizen this batch created and matched again later in the batch (a
      // mover listed by two villages in one first load): its row was written from its first record alone.
      await warmingWhile(resolver, refreshGoldenRecords(tx, [...decisions.filter((d) => d.outcome === 'match').map(citizenOf), ...survivors]));
      const [mark] = await warmingWhile(resolver, rows<{ max: number }>(tx, sql`select coalesce(max(id), 0)::int as max from citizen_records`));
      return { decisions, newIds, inputs, watermark: mark!.max, released, routed, unrouted };
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
  if (done.routed) noteBulkWrite(ctx.db, 'deliveries', done.routed, ctx.log);
  // Registrations whose service left the catalogue stay identified: the route stage looks at them again.
  if (done.unrouted.length) await ctx.queues.enqueue('route', done.unrouted);
  // Registrations held on a case a join settled (of either kind of record): the route stage takes them.
  if (done.released.length) await ctx.queues.enqueue('route', done.released);
  return identified;
}
