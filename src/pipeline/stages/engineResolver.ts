import { sql } from 'drizzle-orm';
import { rows, type Db, type Tx } from '../../db/client.js';
import { arrayParam } from '../../db/sqlArrays.js';
import { heldApartPairs, pairKey, rejectedCandidates, rejectedPairs } from '../review/index.js';
import { MAX_MERGE_DEPTH } from '../review/citizenRoots.js';
import { IdentityIndex, prepareRecord, type PersonRecord, type PreparedRecord } from '../identity/index.js';
import type { DeepPartial, Evidence, IdentityConfig } from '../identity/index.js';
import type { RecordKind } from '../queues.js';
import type { CitizenRef, DecidedSlice, IdentityDecision, IdentityInput, Person, Resolver } from './identify.js';
import { addressWithRtRw, currentIdentityParameters } from '../identityParameters.js';

interface LinkedRow { crid: number; citizen_id: number; record_kind: RecordKind; record_id: number; person: Person }

const TEMP = 'n:';

/**
 * Decisions handed to the stage at a time: it writes one slice while the engine decides the next (a
 * 2,000-record batch otherwise left Postgres idle while the engine ran, then the engine idle while
 * Postgres wrote).
 */
const SLICE = 250;

/** Longest stretch the index build holds the event loop before letting requests through. */
const YIELD_EVERY_MS = 20;

/**
 * The link keeps levels and weights only: the values compared are the records themselves, and
 * repeating them in every link would double what identify writes.
 */
function compact(e: Evidence): unknown {
  return { score: e.score, fields: e.fields.map((f) => ({ field: f.field, level: f.level, weight: f.weight, ...(f.note ? { note: f.note } : {}) })), guards: e.guards };
}

function personRecord(kind: RecordKind, id: number, p: Person): PersonRecord {
  return {
    // A join is one flat string; a template literal of 13 or more characters is a chain of pieces
    // (about 90 instead of 40 bytes), kept for every record the index holds.
    id: [kind, id].join(':'), fullName: p.fullName, nik: p.nik, kk: p.kk, sex: p.sex, birthDate: p.birthDate,
    birthPlace: p.birthPlace, motherName: p.motherName, address: addressWithRtRw(p), locality: p.dusun ?? null,
    villageCode: p.villageCode,
  };
}

/** The citizen a join keeps: the oldest existing one (its id is the one staff and links know), else the best match. */
function survivorOf(group: string[]): string {
  let best: string | null = null;
  for (const c of group) if (!c.startsWith(TEMP) && (best === null || Number(c) < Number(best))) best = c;
  return best ?? group[0]!;
}

interface MovedRow { citizen_id: number; moved_from: number; record_kind: RecordKind; record_id: number; seq: string }

/** What the resolver did to keep its index current, for tests and measurements. */
export interface ResolverStats {
  /** Indexes built from every linked record: the first batch, and after a rollback or an inconsistency. */
  fullLoads: number;
  /** Records moved between citizens in place (reviewers' merges and splits, records identified again). */
  incrementalMoves: number;
  /** Of those, records not under the citizen their row says they left: moved more than once between batches. */
  relocated: number;
}

/** A record to forget is moved under this id, then the citizen is removed (the index forgets citizens, not records). */
const DROPPED = 'x:dropped';

/** Beyond this many citizens touched by the moves since the last batch, a record not found where it left is not searched for. */
const MAX_SEARCHED_CITIZENS = 1000;

/**
 * The identify stage's resolver on the matching engine: an in-memory index of every linked record,
 * loaded from Postgres once and then kept current from citizen_records by two watermarks: the id of
 * the last record added, and the number of the last move (moved_seq, set by a trigger whenever a
 * record's citizen changes: a reviewer's merge or split, a record identified again). Identify batches
 * hold an advisory lock, and reviewers' merges and splits take it before they move records, so both
 * watermarks read inside a batch are exact: no record or move commits behind them. A move is replayed
 * on the index (the record leaves its citizen for the new one) instead of reloading every record; when
 * the index cannot place a move, or a batch rolled back, the index is rebuilt on the next batch.
 */
export class EngineResolver implements Resolver {
  private index: IdentityIndex | null = null;
  private watermark = 0;
  private movesWatermark = 0;
  private temps: string[] = [];
  private building: Promise<void> | null = null;
  /** The parameter set the index was built with (0: the hand values). */
  private paramsId = 0;
  readonly stats: ResolverStats = { fullLoads: 0, incrementalMoves: 0, relocated: 0 };
  /** Records normalized ahead of their batch (warm), by the input the batch hands to resolve. */
  private readonly prepared = new WeakMap<IdentityInput, PreparedRecord>();

  constructor(private readonly config?: DeepPartial<IdentityConfig>) {}

  /** Records linked after the watermark, added to the index (a new one sized for them when `fresh`). */
  private async load(tx: Tx, after: number, fresh = false, upTo?: number): Promise<void> {
    const linked = await rows<LinkedRow>(tx, sql`
      select cr.id as crid, cr.citizen_id, cr.record_kind, cr.record_id,
        case when cr.record_kind = 'registration' then r.applicant
             else jsonb_build_object('nik', rr.nik, 'kk', rr.kk, 'fullName', rr.full_name, 'sex', rr.sex,
               'birthDate', rr.birth_date, 'birthPlace', rr.birth_place, 'motherName', rr.mother_name,
               'address', rr.address, 'dusun', rr.dusun, 'rt', rr.rt, 'rw', rr.rw, 'villageCode', rr.village_code) end as person
      ${after === 0
        ? sql`from citizen_records cr
          left join registrations r on cr.record_kind = 'registration' and r.id = cr.record_id
          left join resident_records rr on cr.record_kind = 'resident' and rr.id = cr.record_id`
        // The few records since the last batch, looked up by key: joined plainly, the planner hashes
        // the whole resident_records table for them, once per batch.
        // Bounded on both sides: under a generic plan (identify's), an open range reads as a third of the table.
        : sql`from (select * from citizen_records x where x.id > ${after} and x.id <= ${upTo ?? 2147483647} offset 0) cr
          left join lateral (select * from registrations x where cr.record_kind = 'registration' and x.id = cr.record_id limit 1) r on true
          left join lateral (select * from resident_records x where cr.record_kind = 'resident' and x.id = cr.record_id limit 1) rr on true`}
      order by cr.id`);
    if (fresh) {
      // The newest learned m and u (identity_parameter_sets), over the configured values.
      const params = await currentIdentityParameters(tx);
      this.paramsId = params?.id ?? 0;
      const config = params ? { ...this.config, fields: params.fields } : this.config;
      this.index = new IdentityIndex(config, { expectedRecords: linked.length });
    }
    let slice = performance.now();
    for (const l of linked) {
      this.index!.add(String(l.citizen_id), personRecord(l.record_kind, l.record_id, l.person));
      this.watermark = l.crid;
      // A full build takes seconds at a kabupaten: the API in the same process answers meanwhile.
      if (fresh && performance.now() - slice > YIELD_EVERY_MS) {
        await new Promise((r) => setImmediate(r));
        slice = performance.now();
      }
    }
  }

  private async fullLoad(tx: Tx): Promise<void> {
    this.index = null;
    this.watermark = 0;
    // Read before the records: a move made in between (none can be, under the lock) would be replayed, not lost.
    const [m] = await rows<{ seq: string }>(tx, sql`select coalesce(max(moved_seq), 0)::text as seq from citizen_records`);
    this.movesWatermark = Number(m!.seq);
    await this.load(tx, 0, true);
    this.stats.fullLoads++;
  }

  /** Replays the moves made since the last batch; false when one cannot be placed (the index must be rebuilt). */
  private async applyMoves(tx: Tx, upTo: string): Promise<boolean> {
    const moved = await rows<MovedRow>(tx, sql`
      select citizen_id, moved_from, record_kind, record_id, moved_seq::text as seq
      from citizen_records where moved_seq > ${this.movesWatermark} and moved_seq <= ${upTo}::bigint order by moved_seq`);
    if (moved.length === 0) return true;
    const involved = new Set<string>();
    for (const m of moved) involved.add(String(m.moved_from)).add(String(m.citizen_id));
    let widened = false;
    for (const m of moved) {
      const recordId = `${m.record_kind}:${m.record_id}`;
      const from = String(m.moved_from);
      const to = String(m.citizen_id);
      if (!this.place(recordId, from, to, involved)) {
        // Merges chained between two batches (B into A, then A into C): the rows name A and C, the
        // index still holds B's records under B, which points at A.
        if (widened || involved.size > MAX_SEARCHED_CITIZENS) return false;
        widened = true;
        for (const id of await this.mergedInto(tx, involved)) involved.add(id);
        if (!this.place(recordId, from, to, involved)) return false;
      }
      this.movesWatermark = Number(m.seq);
      this.stats.incrementalMoves++;
    }
    return true;
  }

  /** Citizens merged, directly or along a chain, into any of these. */
  private async mergedInto(tx: Tx, citizens: Set<string>): Promise<string[]> {
    const found = await rows<{ id: number }>(tx, sql`
      with recursive up(id, depth) as (
        select c.id, 0 from citizens c where c.merged_into = any(${arrayParam([...citizens].map(Number), 'int')})
        union all
        select c.id, up.depth + 1 from citizens c join up on c.merged_into = up.id where up.depth < ${MAX_MERGE_DEPTH}
      )
      select distinct id from up`);
    return found.map((r) => String(r.id));
  }

  /**
   * Puts a record under the citizen its row now names. A row shows only its last move: a record moved
   * twice since the last batch (merged, then split back) may already be where it belongs, or under a
   * citizen an earlier move of the same decisions touched.
   */
  private place(recordId: string, from: string, to: string, involved: Set<string>): boolean {
    const index = this.index!;
    if (index.recordsOf(to).some((r) => r.id === recordId)) {
      // Loaded after its move, or moved back. A copy still under `from` is the record as it was before
      // a batch identified it again (that batch added it anew under `to`): it must no longer be found.
      if (index.moveRecord(recordId, from, DROPPED)) index.removeCitizen(DROPPED);
      return true;
    }
    if (index.moveRecord(recordId, from, to)) return true;
    if (involved.size > MAX_SEARCHED_CITIZENS) return false;
    for (const c of involved) {
      if (c !== from && c !== to && index.moveRecord(recordId, c, to)) {
        this.stats.relocated++;
        return true;
      }
    }
    return false;
  }

  /**
   * Builds the index when there is none, outside the identify lock (at worker start, and before a
   * batch after a rollback): at a kabupaten that takes seconds, and under the lock every batch and
   * every reviewer's merge would wait for it. One repeatable-read snapshot gives the records and
   * the moves watermark together; batches and merges commit in the lock's order, so the snapshot is
   * the state between two of them, and the next batch adds only what came after.
   */
  async prepare(db: Db): Promise<void> {
    if (this.index) return;
    if (!this.building) {
      this.building = db.transaction(async (tx) => {
        await tx.execute(sql`set transaction isolation level repeatable read, read only`);
        await this.fullLoad(tx);
      }).catch((err: unknown) => {
        // The batch will build it under the lock instead.
        this.index = null;
        throw err;
      }).finally(() => {
        this.building = null;
      });
    }
    return this.building;
  }

  private async refresh(tx: Tx): Promise<void> {
    // A build outside the lock in progress fills this.index as it goes: wait for it whole.
    if (this.building) await this.building.catch(() => undefined);
    if (!this.index) return this.fullLoad(tx);
    // One look at what changed since the last batch (three maxima, each one index probe); the records
    // and moves are read only when there are some. Alone on its process, the hub finds none: its own
    // batches moved the watermarks (committed). The zero goes as a parameter: only a statement with
    // one is prepared (client.ts), and so planned once under identify's generic plans.
    const [now] = await rows<{ params: number | null; linked: number; moved: string }>(tx, sql`
      select (select max(id) from identity_parameter_sets) as params,
        (select coalesce(max(id), ${0}) from citizen_records)::int as linked,
        (select coalesce(max(moved_seq), ${0}) from citizen_records)::text as moved`);
    // Parameters re-estimated since the index was built: rebuild with them.
    if ((now!.params ?? 0) !== this.paramsId) return this.fullLoad(tx);
    if (now!.linked > this.watermark) await this.load(tx, this.watermark, false, now!.linked);
    if (Number(now!.moved) > this.movesWatermark && !(await this.applyMoves(tx, now!.moved))) await this.fullLoad(tx);
  }

  async resolve(tx: Tx, inputs: IdentityInput[], decided?: DecidedSlice) {
    await this.refresh(tx);
    const index = this.index!;
    const kind = inputs[0]?.kind ?? 'registration';
    // Follows merges: a candidate rejected before it was merged stays rejected as its survivor.
    const rejected = await rejectedCandidates(tx, kind, inputs.map((i) => i.recordId));
    const newCitizens = new Map<number, Person>();
    const refOf = (cid: string): CitizenRef => (cid.startsWith(TEMP) ? { newKey: Number(cid.slice(TEMP.length)) } : Number(cid));
    const fresh = (input: IdentityInput): string => {
      const key = newCitizens.size;
      newCitizens.set(key, input.person);
      const cid = `${TEMP}${key}`;
      this.temps.push(cid);
      return cid;
    };

    const decide = (input: IdentityInput): IdentityDecision | Promise<IdentityDecision> => {
      // Prepared once (ahead of the batch when it was read ahead): looked up, then added under its citizen.
      const rec = this.prepared.get(input) ?? prepareRecord(personRecord(input.kind, input.recordId, input.person));
      const res = index.resolvePrepared(rec, { joins: true });
      const refused = rejected.get(input.recordId);
      // A pair a reviewer called different never comes back for the same record.
      const vetoed = res.citizenId !== undefined && !!refused?.has(Number(res.citizenId));
      if (res.outcome === 'match' && !vetoed) {
        const matched = (joined: string[]): IdentityDecision => {
          // Joined citizens become one in the index now, so the rest of the batch sees one person.
          const group = [res.citizenId!, ...joined];
          const survivor = survivorOf(group);
          for (const c of group) if (c !== survivor) index.merge(c, survivor);
          const decision: IdentityDecision = { recordId: input.recordId, outcome: 'match', citizen: refOf(survivor), score: res.score, evidence: compact(res.evidence) };
          const others = group.filter((c) => c !== survivor);
          if (others.length) {
            decision.joins = others.map((c) => {
              const cand = res.candidates.find((x) => x.citizenId === c);
              return { citizen: refOf(c), score: cand?.score ?? res.score, evidence: cand?.evidence ?? res.evidence };
            });
          }
          // The record is also, compatibly, another citizen it could not join (hard evidence stands
          // between them): two citizens of one person, which staff should see (the best link stands meanwhile).
          const also = res.candidates.find((c) => c.outcome === 'match' && !group.includes(c.citizenId) && !refused?.has(Number(c.citizenId)));
          if (also) {
            decision.candidateCitizen = refOf(also.citizenId);
            decision.caseScore = also.score;
            decision.reviewEvidence = also.evidence;
          }
          index.addPrepared(survivor, rec);
          return decision;
        };
        // Rare: only a record matching two citizens asks Postgres whether staff keep them apart.
        return res.joins?.length ? this.joinable(tx, res.citizenId!, res.joins, refused).then(matched) : matched([]);
      }
      const cid = fresh(input);
      index.addPrepared(cid, rec);
      if (res.outcome === 'possible' && !vetoed) {
        return {
          recordId: input.recordId, outcome: 'possible', citizen: refOf(cid), candidateCitizen: refOf(res.citizenId!), score: res.score,
          evidence: compact(res.evidence), reviewEvidence: res.evidence,
        };
      }
      return { recordId: input.recordId, outcome: 'new', citizen: refOf(cid), score: res.score, ...(res.candidates.length ? { evidence: compact(res.evidence) } : {}) };
    };
    const decisions: IdentityDecision[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const d = decide(inputs[i]!);
      decisions.push(d instanceof Promise ? await d : d);
      // A slice's links do not change below (dropRejectedBridges touches review candidates only).
      if (decided && decisions.length % SLICE === 0 && i < inputs.length - 1) await decided(decisions.slice(-SLICE), newCitizens);
    }
    await this.dropRejectedBridges(tx, decisions);
    return { decisions, newCitizens };
  }

  /**
   * The citizens of `joins` the record may join to `top`: not one staff told apart from the record or
   * from `top` (a decision that stands through merges), nor one whose merge with `top` staff undid
   * and still have to decide (a split case, open again).
   */
  private async joinable(tx: Tx, top: string, joins: string[], refused: Set<number> | undefined): Promise<string[]> {
    const open = joins.filter((c) => !refused?.has(Number(c)));
    const existing = [top, ...open].filter((c) => !c.startsWith(TEMP)).map(Number);
    if (open.length === 0 || existing.length < 2) return open;
    const apart = await rejectedPairs(tx, existing);
    for (const k of await heldApartPairs(tx, existing)) apart.add(k);
    if (apart.size === 0) return open;
    // Kept in order, each checked against every citizen already in the group.
    const group: string[] = [top];
    for (const c of open) {
      if (!c.startsWith(TEMP) && group.some((g) => !g.startsWith(TEMP) && apart.has(pairKey(Number(g), Number(c))))) continue;
      group.push(c);
    }
    return group.slice(1);
  }

  /** A second citizen staff already called a different person than the first is not proposed again. */
  private async dropRejectedBridges(tx: Tx, decisions: IdentityDecision[]): Promise<void> {
    const bridges = decisions.filter((d) => d.outcome === 'match' && d.candidateCitizen !== undefined);
    const existing = bridges.flatMap((d) => [d.citizen, d.candidateCitizen!]).filter((c): c is number => typeof c === 'number');
    if (existing.length === 0) return;
    const rejected = await rejectedPairs(tx, existing);
    if (rejected.size === 0) return;
    for (const d of bridges) {
      if (typeof d.citizen !== 'number' || typeof d.candidateCitizen !== 'number') continue;
      if (rejected.has(pairKey(d.citizen, d.candidateCitizen))) {
        delete d.candidateCitizen;
        delete d.caseScore;
        delete d.reviewEvidence;
      }
    }
  }

  warm(inputs: IdentityInput[]): void {
    for (const input of inputs) this.prepared.set(input, prepareRecord(personRecord(input.kind, input.recordId, input.person)));
  }

  committed(_decisions: IdentityDecision[], newIds: Map<number, number>, _inputs: IdentityInput[], watermark?: number): void {
    const index = this.index;
    if (!index) return;
    for (const cid of this.temps) {
      // A new citizen a later record of the batch joined to another is no longer in the index.
      if (!index.has(cid)) continue;
      const real = newIds.get(Number(cid.slice(TEMP.length)));
      if (real === undefined) index.removeCitizen(cid);
      else index.renameCitizen(cid, String(real));
    }
    this.temps = [];
    if (watermark !== undefined) this.watermark = watermark;
  }

  aborted(): void {
    this.index = null;
    this.temps = [];
  }
}
